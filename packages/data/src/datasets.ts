/**
 * Class names and normalisation statistics of the standard datasets (browser-safe; the file readers are in
 * `@cnn/data/node`).
 *
 * @packageDocumentation
 */

/** Mean of MNIST training pixels scaled to `[0, 1]` (the customary value, as in the PyTorch examples). */
export const MNIST_MEAN = 0.1307;
/** Population standard deviation of MNIST training pixels scaled to `[0, 1]`. */
export const MNIST_STD = 0.3081;
/** Mean of Fashion-MNIST training pixels scaled to `[0, 1]`. */
export const FASHION_MNIST_MEAN = 0.286;
/** Population standard deviation of Fashion-MNIST training pixels scaled to `[0, 1]`. */
export const FASHION_MNIST_STD = 0.353;

/** MNIST class names: the digits `'0'`–`'9'`, indexed by label. */
export const MNIST_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Fashion-MNIST class names, indexed by label (Zalando Research's README). */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** CIFAR-10 class names in label order (the official `batches.meta.txt`). */
export const CIFAR10_CLASSES: readonly string[] = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Per-channel (R, G, B) mean of the CIFAR-10 training pixels scaled to `[0, 1]` (the customary values). */
export const CIFAR10_MEAN: readonly number[] = [0.4914, 0.4822, 0.4465];
/** Per-channel (R, G, B) population standard deviation of the CIFAR-10 training pixels scaled to `[0, 1]`. */
export const CIFAR10_STD: readonly number[] = [0.247, 0.2435, 0.2616];
