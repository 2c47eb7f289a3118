// Importing a /node subpath from a browser entry: the check must fail.
export * from '@cnn/train/node';
