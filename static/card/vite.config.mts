import { customUiConfig } from '../custom-ui.vite.mts';

// The pull request card; its sandbox bridge names the pull request from the page's query string.
export default customUiConfig(new URL('./', import.meta.url), 'card-sandbox');
