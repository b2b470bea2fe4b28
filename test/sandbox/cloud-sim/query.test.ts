import { parseQuery, QueryError } from '../../../src/sandbox/cloud-sim/query/bbql';
import { applyFields } from '../../../src/sandbox/cloud-sim/query/fields';
import { applyQuery } from '../../../src/sandbox/cloud-sim/query/filter';
import { applySort } from '../../../src/sandbox/cloud-sim/query/sort';

const items = [
  { id: 1, state: 'OPEN', title: 'Add retry', updated_on: '2026-01-10T10:00:00.000000+00:00', draft: false, author: { uuid: '{a}' }, reviewers: [{ uuid: '{b}' }], closed_by: null },
  { id: 2, state: 'MERGED', title: 'Fix login', updated_on: '2026-01-12T08:30:00.500000+00:00', draft: false, author: { uuid: '{b}' }, reviewers: [], closed_by: { uuid: '{b}' } },
  { id: 3, state: 'DECLINED', title: 'Speed up search', updated_on: '2026-01-11T23:59:59.999999+00:00', draft: true, author: { uuid: '{a}' }, reviewers: [{ uuid: '{c}' }, { uuid: '{b}' }], closed_by: { uuid: '{a}' } },
];
const ids = (list: { id: number }[]) => list.map((item) => item.id);

describe('BBQL', () => {
  it('parses comparisons, AND/OR precedence and parentheses', () => {
    expect(parseQuery('state = "OPEN" OR state = "MERGED" AND id > 1')).toEqual({
      type: 'or',
      left: { type: 'compare', field: ['state'], op: '=', value: { kind: 'string', value: 'OPEN' } },
      right: {
        type: 'and',
        left: { type: 'compare', field: ['state'], op: '=', value: { kind: 'string', value: 'MERGED' } },
        right: { type: 'compare', field: ['id'], op: '>', value: { kind: 'number', value: 1 } },
      },
    });
  });

  it.each([
    ['state = "OPEN"', [1]],
    ['state != "OPEN"', [2, 3]],
    ['id >= 2', [2, 3]],
    ['id < 2 OR draft = true', [1, 3]],
    ['(state = "OPEN" OR state = "DECLINED") AND author.uuid = "{a}"', [1, 3]],
    ['title ~ "SEARCH"', [3]],
    ['title !~ "fix"', [1, 3]],
    ['updated_on >= 2026-01-11T00:00:00+00:00', [2, 3]],
    ['updated_on > 2026-01-11T23:59:59.999999Z', [2]],
    ['updated_on < 2026-01-11', [1]],
    ['reviewers.uuid = "{b}"', [1, 3]],
    ['closed_by = null', [1]],
    ['closed_by.uuid = "{a}" AND state = "DECLINED"', [3]],
  ])('%s', (query, expected) => {
    expect(ids(applyQuery(items, query))).toEqual(expected);
  });

  it('reads an unencoded "+" offset that arrived as a space', () => {
    expect(ids(applyQuery(items, 'updated_on>=2026-01-11T00:00:00 00:00'))).toEqual([2, 3]);
  });

  it.each(['state = ', 'state "OPEN"', '(state = "OPEN"', 'state = "OPEN" AND', 'title = "unterminated'])('rejects %s', (query) => {
    expect(() => parseQuery(query)).toThrow(QueryError);
  });
});

describe('sort', () => {
  it('sorts ascending, descending, by instant and with missing values last', () => {
    expect(ids(applySort(items, 'updated_on'))).toEqual([1, 3, 2]);
    expect(ids(applySort(items, '-updated_on'))).toEqual([2, 3, 1]);
    expect(ids(applySort(items, '-closed_by.uuid'))).toEqual([2, 3, 1]);
    expect(ids(applySort(items, 'title'))).toEqual([1, 2, 3]);
  });
});

describe('fields', () => {
  const page = { pagelen: 10, size: 3, next: 'http://x?page=2', values: items.map((item) => ({ ...item, links: { self: { href: 'a' }, html: { href: 'b' } } })) };

  it('keeps only the named paths', () => {
    expect(applyFields(page, 'values.id,next')).toEqual({ next: 'http://x?page=2', values: [{ id: 1 }, { id: 2 }, { id: 3 }] });
  });

  it('removes with "-" and matches any key with "*"', () => {
    const result = applyFields(page, '-values.links,-values.*.uuid') as typeof page;
    expect(result.values[0]).not.toHaveProperty('links');
    expect(result.values[0]?.author).toEqual({});
    expect(result.size).toBe(3);
    expect(applyFields(page, 'values.links.*.href')).toEqual({ values: items.map(() => ({ links: { self: { href: 'a' }, html: { href: 'b' } } })) });
  });

  it('hides default-hidden fields unless "+" asks for them', () => {
    expect((applyFields(page, null, ['values.reviewers']) as typeof page).values[0]).not.toHaveProperty('reviewers');
    expect((applyFields(page, '+values.reviewers', ['values.reviewers']) as typeof page).values[2]?.reviewers).toHaveLength(2);
  });
});
