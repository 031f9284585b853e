import { placeholderHandler } from './placeholder.js';

export const handler = placeholderHandler('identity');
