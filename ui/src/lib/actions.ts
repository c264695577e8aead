// Small Svelte actions shared by the screens.

/** Focuses the element once it is in the document (the first field of a form that just opened). */
export function autofocus(node: HTMLElement, enabled: boolean = true) {
  if (enabled) queueMicrotask(() => node.focus());
}
