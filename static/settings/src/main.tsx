import { createRoot } from 'react-dom/client';
import { DeadLetters } from './DeadLetters';

function App() {
  return (
    <main>
      <h1>PanDev Metrics</h1>
      <h2>Dead letters</h2>
      <DeadLetters />
    </main>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
