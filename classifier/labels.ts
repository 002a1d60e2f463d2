/** Fashion-MNIST class names, in label order (0..9), as published with the data set. */
export const FASHION_MNIST_LABELS: readonly string[] = [
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

/** Number of classes: every classifier's output units, every label's bound. */
export const CLASS_COUNT = FASHION_MNIST_LABELS.length;
