import { z } from 'zod';

/** Job ids are chosen by the renderer (crypto.randomUUID) so that it can subscribe before the job starts. */
export const JobIdSchema = z.string().uuid();
export const PathKindSchema = z.enum(['file', 'folder']);
