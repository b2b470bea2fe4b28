import '@atlaskit/css-reset';
import { view } from '@forge/bridge';
import { createRoot } from 'react-dom/client';
import { Card } from './Card';

// Bitbucket's own theme (light or dark) reaches the design tokens the card is styled with.
void view.theme.enable().catch(() => undefined);

createRoot(document.getElementById('root')!).render(<Card />);
