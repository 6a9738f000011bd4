import { describe, expect, it } from 'vitest';
import { visibleSelection } from './selection';

describe('the selection an action sends', () => {
  it('keeps only ticked ids still shown after a search', () => {
    expect(visibleSelection(['a', 'b', 'c'], ['c', 'a', 'x'])).toEqual(['a', 'c']);
  });

  it('is empty when the search hides every ticked row', () => {
    expect(visibleSelection(['a', 'b'], ['x'])).toEqual([]);
    expect(visibleSelection(['a'], [])).toEqual([]);
  });
});
