export { withNodeEntry as default } from '../../tsup.base.js';
