// <ftconfig-recommender>: the recommender as an embeddable custom element.
//
//   <script type="module" src="https://…/ftconfig/widget.js"></script>
//   <ftconfig-recommender platform="colab" plan="free" model="llama2-7b" adapter="qlora" compact></ftconfig-recommender>
//
// Shadow DOM (no style leaks either way); the engine loads on first view and is
// shared by every widget on the page (one worker). docs/embedding.md.
import { engineClient } from './client.js';
import { h, compactCard, sections, verdict } from './render.js';
import { ATTRIBUTES, queryFromRequest, requestFromAttributes } from './request.js';

const here = new URL('.', import.meta.url);
const renderCss = new URL('render.css', here).href;

const WIDGET_CSS = `
:host {
  all: initial; display: block; contain: content;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ft-fg); background: var(--ft-bg);
  border: 1px solid var(--ft-line); border-radius: 10px; padding: 0.9rem 1rem;
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
a { color: var(--ft-accent); }
.top { display: flex; justify-content: space-between; align-items: baseline; gap: 0.5rem; flex-wrap: wrap; margin-bottom: 0.6rem; }
.brand { font-weight: 700; font-size: 0.85em; color: var(--ft-muted); letter-spacing: 0.02em; }
.body { display: grid; gap: 0.8rem; }
.placeholder { color: var(--ft-muted); margin: 0.4rem 0; }
.error { border: 1px solid var(--ft-bad); background: var(--ft-bad-bg); border-radius: 8px; padding: 0.5rem 0.8rem; }
.error strong { color: var(--ft-bad); }
details.section { border-top: 1px solid var(--ft-line); padding-top: 0.4rem; }
details.section > summary { cursor: pointer; font-weight: 600; }
section h3 { font-size: 1em; margin: 0.2rem 0 0.5rem; }
:focus-visible { outline: 3px solid var(--ft-accent); outline-offset: 2px; }
`;

const OPEN_SECTIONS = new Set(['memory', 'hyperparameters']);

class FtconfigRecommender extends HTMLElement {
  static get observedAttributes() {
    return [...ATTRIBUTES, 'compact'];
  }

  #root;
  #body;
  #link;
  #result = null;
  #request = null;
  #visible = false;
  #observer = null;
  #serial = 0;
  #queued = false;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    this.#body = h('div', { class: 'body', part: 'body', 'aria-live': 'polite' },
      h('p', { class: 'placeholder' }, 'The recommendation loads when this comes into view.'));
    this.#link = h('a', { target: '_blank', rel: 'noopener', part: 'link' }, 'Open in ftconfig ↗');
    this.#root.append(
      h('link', { rel: 'stylesheet', href: renderCss }),
      h('style', {}, WIDGET_CSS),
      h('div', { class: 'top' }, h('span', { class: 'brand' }, 'ftconfig recommendation'), this.#link),
      this.#body);
  }

  connectedCallback() {
    if (!this.hasAttribute('role')) this.setAttribute('role', 'region');
    if (!this.hasAttribute('aria-label')) this.setAttribute('aria-label', 'Fine-tuning recommendation');
    this.#updateLink();
    if (this.#visible) return;
    if (typeof IntersectionObserver !== 'function') {
      this.#show();
      return;
    }
    this.#observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) this.#show();
    }, { rootMargin: '200px' });
    this.#observer.observe(this);
  }

  disconnectedCallback() {
    if (this.#observer) this.#observer.disconnect();
    this.#observer = null;
  }

  attributeChangedCallback() {
    this.#updateLink();
    if (this.#visible) this.#schedule();
  }

  /** The last response (null before the first one or after an error). */
  get result() {
    return this.#result;
  }

  /** The request: set it to override the attributes. */
  get request() {
    return this.#request ? { ...this.#request } : requestFromAttributes(this);
  }

  set request(value) {
    this.#request = value && typeof value === 'object' ? { ...value } : null;
    this.#updateLink();
    if (this.#visible) this.#schedule();
  }

  /** Runs the recommendation now (also before the widget was scrolled into view). */
  refresh() {
    this.#visible = true;
    if (this.#observer) this.#observer.disconnect();
    return this.#run();
  }

  #show() {
    if (this.#visible) return;
    this.#visible = true;
    if (this.#observer) this.#observer.disconnect();
    this.#run();
  }

  #schedule() {
    if (this.#queued) return;
    this.#queued = true;
    queueMicrotask(() => {
      this.#queued = false;
      this.#run();
    });
  }

  #updateLink() {
    const query = queryFromRequest(this.request);
    this.#link.href = new URL(`index.html${query ? `?${query}` : ''}`, here).href;
  }

  async #run() {
    const serial = ++this.#serial;
    const request = this.request;
    this.setAttribute('data-state', 'loading');
    this.setAttribute('aria-busy', 'true');
    if (!this.#result) this.#body.replaceChildren(h('p', { class: 'placeholder' }, 'Computing a safe configuration…'));
    try {
      const { response } = await engineClient().recommend(request);
      if (serial !== this.#serial) return;
      this.#result = response;
      this.#render(response);
      this.setAttribute('data-state', 'ready');
      this.removeAttribute('aria-busy');
      this.dispatchEvent(new CustomEvent('ftconfig-result', { detail: { request, response }, bubbles: true, composed: true }));
    } catch (err) {
      if (serial !== this.#serial) return;
      this.#result = null;
      this.#body.replaceChildren(h('div', { class: 'error', role: 'alert' }, h('strong', {}, 'Cannot recommend: '), err.message));
      this.setAttribute('data-state', 'error');
      this.removeAttribute('aria-busy');
      const error = { code: err.code || 'internal', field: err.field || '', message: err.message };
      this.dispatchEvent(new CustomEvent('ftconfig-error', { detail: { request, error }, bubbles: true, composed: true }));
    }
  }

  #render(r) {
    if (this.hasAttribute('compact')) {
      this.#body.replaceChildren(compactCard(r));
      return;
    }
    this.#body.replaceChildren(verdict(r), ...sections(r).map((s) =>
      h('details', { class: 'section', open: OPEN_SECTIONS.has(s.id) }, h('summary', {}, s.title), h('div', {}, s.body))));
  }
}

if (!customElements.get('ftconfig-recommender')) customElements.define('ftconfig-recommender', FtconfigRecommender);

export { FtconfigRecommender };
