/**
 * The one error type the data loader throws. The training CLI prints `error.message` and exits 1
 * for a DataError, so every message must stand on its own: which file, what is wrong with it, and
 * how to get good data.
 */

/**
 * Printed under every file-specific problem. The user's next step is the same whatever broke,
 * so one hint covers all cases instead of each call site improvising its own advice.
 */
export const HOW_TO_GET_DATA = [
  'To get the Fashion-MNIST data, do one of:',
  '  - apt-get install -y dataset-fashion-mnist   (installs the .gz files in /usr/share/datasets/fashion-mnist/)',
  '  - pass --data DIR or set FASHION_MNIST_DIR to a directory holding the four IDX files (.gz or plain)',
  '  - let it download them from the official mirror into ./data/fashion-mnist/: give no --data or',
  '    FASHION_MNIST_DIR, allow downloads, and delete any bad files left in ./data/fashion-mnist/ first',
].join('\n');

/** A missing, unreadable or invalid Fashion-MNIST file (or a failed download); the message says which and why. */
export class DataError extends Error {
  override name = 'DataError';
}

/**
 * Builds the DataError for one file: `<path>: <problem>` followed by {@link HOW_TO_GET_DATA}.
 * Keeping the format in one place makes every data failure read the same way.
 */
export function fileError(path: string, problem: string): DataError {
  return new DataError(`Fashion-MNIST file ${path}: ${problem}\n${HOW_TO_GET_DATA}`);
}
