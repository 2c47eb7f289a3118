/**
 * The MNIST run as a program (`pnpm --filter @cnn/app-mnist exec tsx src/train.ts`): `trainClassifier` of
 * `@cnn/cli` with the options as values — what `pnpm mnist` does, with the recipe's values spelled out to edit.
 */
import { MNIST_RECIPE, trainClassifier } from '@cnn/cli';

const result = await trainClassifier({
  source: 'mnist',
  model: MNIST_RECIPE.model, // 'mnistnet' or 'improved'
  epochs: MNIST_RECIPE.epochs,
  batchSize: MNIST_RECIPE.batchSize,
  lr: MNIST_RECIPE.lr,
  optimizer: 'adam', // the recipe's (MNIST_RECIPE.optimizer); or 'sgd'
  validPct: 0.1, // hold out 10% of the training images: val_loss / val_accuracy every epoch, OUT/best
  out: 'runs/mnist',
});
if (result) console.log(`test accuracy ${(result.summary.testAcc * 100).toFixed(2)}%, validation ${((result.summary.valAcc ?? 0) * 100).toFixed(2)}%`);
