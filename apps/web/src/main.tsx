import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { localStorageTokens } from './api/client';
import { App } from './app';
import { StoreContext } from './hooks';
import { createAppStore } from './store';
import './styles.css';

const store = createAppStore({ tokens: localStorageTokens() });
// Exposed for debugging and the browser tests; the store holds nothing the page can't see.
(window as unknown as { playloop: typeof store }).playloop = store;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      <App />
    </StoreContext.Provider>
  </StrictMode>,
);
