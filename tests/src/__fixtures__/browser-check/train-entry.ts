// A browser entry like a web page's: the whole browser-safe API of @cnn/train.
export * from '@cnn/train';
