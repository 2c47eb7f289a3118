// Ensemble member script for the queue tests (trainEnsemble({queue, trial: 'tiny-members'})).
import { serveEnsembleMember } from '../../../ensemble-queue';
import { MEMBERS, data } from '../ensemble-def';

serveEnsembleMember({ members: MEMBERS, data, progress: 'none' });
