// Ensemble member script for the queue tests (trainEnsemble({queue, trial: 'tiny-members'})).
import { serveEnsembleMember } from '../../../ensemble/queue.js';
import { MEMBERS, data } from '../../../testing/ensemble-def.js';

serveEnsembleMember({ members: MEMBERS, data, progress: 'none' });
