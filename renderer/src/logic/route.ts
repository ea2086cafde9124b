/**
 * What the address bar holds: the view, the collection, the query and the passage open in the alignment,
 * so a demo can be bookmarked and Back returns to the previous view.
 */
export const VIEWS = ['datasets', 'search', 'alignment', 'evaluate', 'settings'] as const;
export type View = (typeof VIEWS)[number];

export interface Route {
  view: View;
  collection: string | null;
  query: string | null;
  doc: string | null;
  /**
   * The alignment's query scoring, written only when it is `plain`: the model's scoring is the default, so
   * addresses bookmarked before the choice existed keep meaning what they meant.
   */
  queryScoring?: 'model' | 'plain' | null;
}

export function readRoute(search: string): Partial<Route> {
  const p = new URLSearchParams(search);
  const view = p.get('view');
  const route: Partial<Route> = {};
  if (view && (VIEWS as readonly string[]).includes(view)) route.view = view as View;
  if (p.get('c')) route.collection = p.get('c');
  if (p.get('q')) route.query = p.get('q');
  if (p.get('doc')) route.doc = p.get('doc');
  const scoring = p.get('scoring');
  if (scoring === 'plain' || scoring === 'model') route.queryScoring = scoring;
  return route;
}

/** The search string for a route; empty for the app's opening state, so a plain visit keeps a clean address. */
export function routeSearch(r: Route): string {
  const p = new URLSearchParams();
  const plain = r.view === 'search' && !r.query;
  if (plain) return '';
  p.set('view', r.view);
  if (r.collection) p.set('c', r.collection);
  if (r.query && (r.view === 'search' || r.view === 'alignment')) p.set('q', r.query);
  if (r.doc && r.view === 'alignment') p.set('doc', r.doc);
  if (r.queryScoring === 'plain' && r.view === 'alignment') p.set('scoring', 'plain');
  return `?${p.toString()}`;
}
