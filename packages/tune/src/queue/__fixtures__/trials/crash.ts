// A trial that crashes its process before reporting (the job must fail, not the worker).
import { serveTrial } from '../../../trial/serve.js';

serveTrial(() => process.exit(7));
