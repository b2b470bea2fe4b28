/** The product's version, as package.json states it (a test keeps the two the same): in User-Agent and `--version`. */
export const VERSION = '0.1.0';
