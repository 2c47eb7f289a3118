export {
  createApp,
  packageNameOf,
  releasedVersions,
  CreateAppError,
  TEMPLATES,
  type Template,
  type CreateAppOptions,
  type CreatedApp,
} from './create-app.js';
