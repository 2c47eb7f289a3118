import base from '../../tsup.base.js';

// The library only: the search and the queue worker are run by the `cnn search` / `cnn worker` commands of @cnn/cli.
export default base;
