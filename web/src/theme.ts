import { useSyncExternalStore } from 'react';

/**
 * The console's colour theme. Until a person picks one with the toggle, it follows the system's light or dark
 * preference, live (styles.css's `dark` variant matches the media query); a pick is kept in localStorage and put
 * on <html> as `.dark` or `.light`, which wins over the system either way.
 */
const STORAGE_KEY = 'keepsake-theme';
const systemDark = () => window.matchMedia('(prefers-color-scheme: dark)');
const root = () => document.documentElement;

// Applied when the console's code loads, before anything renders: a saved pick shows no flash of the other theme.
const saved = localStorage.getItem(STORAGE_KEY);
if (saved === 'dark' || saved === 'light') root().classList.add(saved);

function subscribe(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(root(), { attributes: true, attributeFilter: ['class'] });
  const media = systemDark();
  media.addEventListener('change', onChange);
  return () => {
    observer.disconnect();
    media.removeEventListener('change', onChange);
  };
}

function isDark(): boolean {
  const classes = root().classList;
  return classes.contains('dark') || (!classes.contains('light') && systemDark().matches);
}

/** Whether the console is dark now, re-rendering when the pick or the system preference changes. */
export const useDarkTheme = () => useSyncExternalStore(subscribe, isDark);

/** The person's pick, kept for their next visit. */
export function chooseTheme(theme: 'dark' | 'light'): void {
  root().classList.remove('dark', 'light');
  root().classList.add(theme);
  localStorage.setItem(STORAGE_KEY, theme);
}
