// The same entry after someone adds a file-system import: the check must fail, naming this file.
import { readFileSync } from 'node:fs';

export * from '@cnn/train';
export const readConfig = (p: string): string => readFileSync(p, 'utf8');
