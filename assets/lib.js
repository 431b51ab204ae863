// The one place the vendored libraries are imported (through the import map in index.html).
// Pages import `html`, the hooks and `render` from here, never from the vendor files directly.
import { h } from 'preact';
import htm from 'htm';

export { h, render, Fragment } from 'preact';
export { useState, useEffect, useRef, useMemo, useCallback, useContext } from 'preact/hooks';
export { createContext } from 'preact';

/** Tagged template producing Preact elements: html`<div class=x>${value}</div>`. */
export const html = htm.bind(h);
