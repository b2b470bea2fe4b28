import SectionMessage from '@atlaskit/section-message';
import type { ReactNode } from 'react';

// An error banner inside one of the page's sections: read out as it appears, and its title a heading
// under the section's own, so the page's outline keeps it in its section.

export function ErrorBanner({ title, children }: { title?: string; children: ReactNode }) {
  return (
    <div role="alert">
      {title ? <SectionMessage appearance="error" title={title} headingLevel="h3">{children}</SectionMessage> : <SectionMessage appearance="error">{children}</SectionMessage>}
    </div>
  );
}
