// Streamlit's own words in the reader's language (see streamlit_words.py, which puts the
// table STREAMLIT_WORDS before this script, and this script before Streamlit's).
//
// First, Streamlit is told the browser speaks the page's language: it draws the date
// picker's calendar (month and day names, the days' labels) with the browser's
// `navigator.language`, so a French page in an English browser would show an English
// calendar. A browser already in that language keeps its own variant ("fr-CA").
//
// Then labels read by screen readers, hover titles, placeholders, spin buttons' spoken
// values, and text that is only one of Streamlit's words, are looked up as Streamlit
// draws them; nothing else of the page is touched.
(() => {
  const { locale, words, prefixes, patterns } = STREAMLIT_WORDS;
  const language = locale.split("-")[0];
  if (!navigator.language.startsWith(language)) {
    Object.defineProperty(navigator, "language", { value: locale, configurable: true });
    Object.defineProperty(navigator, "languages", { value: [locale], configurable: true });
  }
  if (Object.keys(words).length === 0) return;
  const ATTRIBUTES = [
    "aria-label",
    "title",
    "placeholder",
    "aria-valuetext",
    "aria-roledescription",
  ];
  const wholePatterns = patterns.map(({ english, local, within }) => ({
    english: new RegExp(`^${english}$`),
    local,
    within,
  }));

  // `node` is where the text is shown: an element, or a text node's parent.
  const translated = (text, node) => {
    const trimmed = text.trim();
    if (Object.hasOwn(words, trimmed)) return text.replace(trimmed, words[trimmed]);
    for (const [english, local] of Object.entries(prefixes)) {
      if (!trimmed.startsWith(english)) continue;
      const rest = trimmed.slice(english.length);
      return local + (translated(rest, node) ?? rest);
    }
    for (const { english, local, within } of wholePatterns) {
      if (english.test(trimmed) && (!within || node?.closest(within))) {
        return trimmed.replace(english, local);
      }
    }
    return null;
  };

  const translateElement = (element) => {
    for (const name of ATTRIBUTES) {
      const value = element.getAttribute(name);
      const local = value && translated(value, element);
      if (local) element.setAttribute(name, local);
    }
  };

  const translateText = (node) => {
    const local = translated(node.nodeValue, node.parentElement);
    if (local) node.nodeValue = local;
  };

  const translateTree = (root) => {
    if (root.nodeType === Node.TEXT_NODE) return translateText(root);
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    translateElement(root);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeType === Node.TEXT_NODE) translateText(node);
      else translateElement(node);
    }
  };

  const observer = new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === "attributes") translateElement(change.target);
      else if (change.type === "characterData") translateText(change.target);
      else change.addedNodes.forEach(translateTree);
    }
  });
  const start = () => {
    translateTree(document.body);
    observer.observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
      attributeFilter: ATTRIBUTES,
    });
  };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
