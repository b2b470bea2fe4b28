import type { CSSProperties } from 'react';
import { token } from '@atlaskit/tokens';

// Layout with Atlassian design tokens, so the page follows the product's theme (light or dark).

export const styles = {
  page: { maxWidth: 1040, padding: token('space.300'), color: token('color.text'), font: token('font.body') },
  h1: { font: token('font.heading.large'), margin: `0 0 ${token('space.200')}` },
  section: { marginTop: token('space.400'), paddingTop: token('space.200'), borderTop: `1px solid ${token('color.border')}` },
  h2: { font: token('font.heading.medium'), margin: `0 0 ${token('space.150')}` },
  row: { display: 'flex', gap: token('space.100'), alignItems: 'center', flexWrap: 'wrap' },
  /** A radio button and its text: the text wraps beside the button, never onto a line of its own under it (narrow frames). */
  choice: { display: 'flex', gap: token('space.100'), alignItems: 'baseline' },
  stack: { display: 'flex', flexDirection: 'column', gap: token('space.150') },
  field: { display: 'flex', flexDirection: 'column', gap: token('space.050'), maxWidth: 560 },
  label: { font: token('font.body.small'), fontWeight: token('font.weight.semibold'), color: token('color.text.subtle') },
  help: { font: token('font.body.small'), color: token('color.text.subtlest') },
  error: { font: token('font.body.small'), color: token('color.text.danger') },
  subtle: { color: token('color.text.subtle') },
  table: { width: '100%', borderCollapse: 'collapse' },
  th: { textAlign: 'left', font: token('font.body.small'), fontWeight: token('font.weight.semibold'), color: token('color.text.subtle'), padding: token('space.075'), borderBottom: `2px solid ${token('color.border')}` },
  td: { padding: token('space.075'), borderBottom: `1px solid ${token('color.border')}`, verticalAlign: 'middle' },
  /** A cell of names or reasons Bitbucket and PanDev choose: one with nowhere to break must not widen the page. */
  wrap: { overflowWrap: 'anywhere' },
  group: { padding: token('space.075'), background: token('color.background.neutral'), textAlign: 'left' },
  code: { font: token('font.code'), background: token('color.background.neutral'), padding: token('space.050'), wordBreak: 'break-all' },
} satisfies Record<string, CSSProperties>;
