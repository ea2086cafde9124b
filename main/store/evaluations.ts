import type Database from 'better-sqlite3';
import type { EvaluationReport, EvaluationSummary } from '../contract/api.js';
import { SaegimError } from '../contract/errors.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS evaluations (
  id INTEGER PRIMARY KEY,
  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  split TEXT NOT NULL,
  k INTEGER NOT NULL,
  queries INTEGER NOT NULL,
  methods TEXT NOT NULL,
  seconds REAL NOT NULL,
  report TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS evaluations_by_collection ON evaluations (collection_id, created_at);
`;

/**
 * Finished evaluation reports, kept in the database so a long run survives a reload and can be reopened,
 * compared and deleted. A report is stored whole (JSON): it is what the CLI prints and the UI charts.
 */
export class EvaluationArchive {
  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
  }

  save(collectionId: number, report: EvaluationReport): number {
    const { lastInsertRowid } = this.db
      .prepare(`INSERT INTO evaluations (collection_id, created_at, split, k, queries, methods, seconds, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(collectionId, new Date().toISOString(), report.split, report.k, report.queries, Object.keys(report.methods).join(','), report.seconds, JSON.stringify(report));
    return Number(lastInsertRowid);
  }

  list(collectionId: number | null): EvaluationSummary[] {
    const rows = this.db
      .prepare(
        `SELECT e.id, c.name AS collection, e.created_at AS createdAt, e.split, e.k, e.queries, e.methods, e.seconds
         FROM evaluations e JOIN collections c ON c.id = e.collection_id
         WHERE ? IS NULL OR e.collection_id = ? ORDER BY e.created_at DESC, e.id DESC`,
      )
      .all(collectionId, collectionId) as Array<Omit<EvaluationSummary, 'methods'> & { methods: string }>;
    return rows.map((r) => ({ ...r, methods: r.methods ? (r.methods.split(',') as EvaluationSummary['methods']) : [] }));
  }

  get(id: number): EvaluationReport & { id: number } {
    const row = this.db.prepare(`SELECT report FROM evaluations WHERE id = ?`).get(id) as { report: string } | undefined;
    if (!row) throw new SaegimError('not-found', `no saved evaluation ${id}`);
    return { ...(JSON.parse(row.report) as EvaluationReport), id };
  }

  delete(id: number): boolean {
    return this.db.prepare(`DELETE FROM evaluations WHERE id = ?`).run(id).changes > 0;
  }
}
