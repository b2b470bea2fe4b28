// What the pull request card's resolver answers and its UI shows (static/card).

export type Band = 'Elite' | 'High' | 'Medium' | 'Low';

export interface CardRow {
  label: string;
  value: string;
  available: boolean;
  /** A time still counting on an open pull request. */
  running?: boolean;
  /** DORA 2024 band, on repository figures measured the way DORA defines them. */
  band?: Band;
  /** What the figure means (the same words the pull request comment uses), to follow its label. */
  definition?: string;
  /** What each DORA band takes for this figure (the comment's words too), on the repository's banded figures. */
  bands?: string;
}

export interface CardModel {
  days: number;
  /** What the bands are, above each figure's `bands`. */
  bandsNote: string;
  pullRequest: CardRow[];
  repository: CardRow[];
}

/** `retry`: a failure that may pass (storage, the platform), so the card offers to try again in place. */
export type CardAnswer = { available: true; card: CardModel } | { available: false; reason: string; retry?: true };
