import { droppedWords, eventWords } from '../../static/settings/src/words';

// The page's words for the pipeline's codes: a code it has no words for (kept by an older version, or a
// Data Center key) still reads as words, never as the bare code.

it('says a reason it has no words for as words, keeping what the code says', () => {
  expect(droppedWords('some-retired-reason', 1200)).toBe('1,200 for another reason (some retired reason)');
});

it('says an event key it has no words for as words', () => {
  expect(eventWords('pr:reviewer:needs_work')).toBe('pull request reviewer needs work');
  expect(eventWords('pandev:build_status')).toBe('build status');
});

it('does not take an inherited property for words', () => {
  expect(eventWords('constructor')).toBe('constructor');
  expect(droppedWords('toString', 1)).toBe('1 for another reason (toString)');
});
