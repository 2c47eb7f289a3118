export { findHead, replaceHead, type ReplaceHeadOptions } from './head.js';
export {
  modelStages,
  freezeLayers,
  unfreezeLayers,
  freezeStages,
  unfreezeStages,
  freezeAllButHead,
  unfreezeAll,
  trainableLayerNames,
  type LayerSelector,
  type Stage,
} from './freeze.js';
