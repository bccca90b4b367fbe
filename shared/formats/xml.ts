/**
 * The small XML subset the drive files use (manifest, metadata and properties files): elements,
 * attributes, text, comments, an XML declaration and CDATA, with the five named entities and
 * numeric character references. A DOCTYPE is refused outright, so no entity can expand and no
 * external resource can be named; the files are written by tools, never by hand-rolled DTDs.
 * No dependency: the element sets are small and fixed, and the formats' own rules are checked by
 * the modules that read them.
 *
 * The reader is a tokenizer fed text in pieces (`XmlTokenizer`), iterative (an explicit stack of
 * open elements, never recursion: a document nested 100,000 deep is an error like any other), and
 * holding only the token it is in: a drive manifest of a million blobs is read as it streams off
 * the drive. `parseXml` builds the tree of a small document on top of it.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's character data (text and CDATA between its children), decoded. */
  text: string;
}

export class XmlSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} (at character ${offset})`);
    this.name = "XmlSyntaxError";
  }
}

/** What a tokenizer reports, in document order; a self-closing element is an open and a close. */
export interface XmlHandler {
  open(name: string, attributes: Record<string, string>, offset: number): void;
  /** Character data (text or CDATA), decoded; whitespace between elements included. */
  text(text: string, offset: number): void;
  close(name: string, offset: number): void;
}

const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]*/y;
const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
// XML 1.0 Char production: a character reference to anything else is an error.
const isXmlChar = (cp: number): boolean =>
  cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);

// The characters XML 1.0 forbids: most C0 controls, U+FFFE/U+FFFF and unpaired surrogates.
const INVALID_XML_CHARACTER =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Escapes text for element content or a double-quoted attribute value. */
export function escapeXml(value: string): string {
  const invalid = INVALID_XML_CHARACTER.exec(value);
  if (invalid) {
    const code = invalid[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    throw new Error(`character U+${code} cannot appear in XML`);
  }
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\r/g, "&#13;");
}

/** Parses a whole document and returns its root element; anything outside the subset is an error. */
export function parseXml(source: string): XmlElement {
  const builder = new XmlTreeBuilder();
  const tokenizer = new XmlTokenizer(builder);
  tokenizer.write(source);
  tokenizer.end();
  return builder.root!;
}

/** Builds the element tree from a tokenizer's events, with a stack, not recursion. */
export class XmlTreeBuilder implements XmlHandler {
  root?: XmlElement;
  private readonly stack: XmlElement[] = [];

  open(name: string, attributes: Record<string, string>): void {
    const element: XmlElement = { name, attributes, children: [], text: "" };
    const parent = this.stack[this.stack.length - 1];
    if (parent) parent.children.push(element);
    else this.root = element;
    this.stack.push(element);
  }

  text(text: string): void {
    const current = this.stack[this.stack.length - 1];
    if (current) current.text += text;
  }

  close(): void {
    this.stack.pop();
  }
}

// The markup that starts "<!" or "<?" this subset knows.
const MARKUP_PREFIXES = ["<!--", "<![CDATA[", "<!DOCTYPE", "<?xml"];

/**
 * An XML tokenizer fed decoded text in pieces of any size (`write`), then `end`. It checks
 * well-formedness (names, attributes, entities, nesting, one root) and calls its handler with the
 * document's events as soon as each token is whole. It keeps only the unfinished token: one longer
 * than `maxTokenLength` characters (a tag, a comment, a run of text) is an error, so a stream's
 * memory is bounded whatever its size.
 */
export class XmlTokenizer {
  private buffer = "";
  /** Characters consumed before `buffer` starts: offsets in messages are from the document's start. */
  private consumed = 0;
  private readonly open: string[] = [];
  private rootSeen = false;
  private atStart = true;
  private ended = false;
  /** A high surrogate that ended the last piece: its pair is at the start of the next. */
  private heldSurrogate = "";

  constructor(
    private readonly handler: XmlHandler,
    private readonly maxTokenLength = Number.POSITIVE_INFINITY,
  ) {}

  write(piece: string): void {
    let text = this.heldSurrogate + piece;
    this.heldSurrogate = "";
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.heldSurrogate = text.slice(-1);
      text = text.slice(0, -1);
    }
    if (text.length === 0) return;
    if (this.atStart && this.consumed === 0 && this.buffer === "") text = text.replace(/^\uFEFF/, "");
    const invalid = INVALID_XML_CHARACTER.exec(text);
    if (invalid) throw new XmlSyntaxError("character not allowed in XML", this.consumed + this.buffer.length + invalid.index);
    this.buffer = this.buffer.length === 0 ? text : this.buffer + text;
    this.run();
  }

  end(): void {
    this.ended = true;
    if (this.heldSurrogate) throw new XmlSyntaxError("character not allowed in XML", this.consumed + this.buffer.length);
    this.run();
    if (this.open.length > 0) this.fail(`<${this.open[this.open.length - 1]}> is not closed`, this.consumed);
    if (!this.rootSeen) this.fail("expected the root element", this.consumed);
  }

  private run(): void {
    const source = this.buffer;
    let position = 0;
    for (;;) {
      const next = this.token(source, position);
      if (next === undefined) break;
      position = next;
      this.atStart = false;
    }
    this.buffer = position === 0 ? source : source.slice(position);
    this.consumed += position;
    if (this.buffer.length > this.maxTokenLength) this.fail(`a token longer than ${this.maxTokenLength} characters`, this.consumed);
  }

  /** Reads one token at `position`; returns where the next starts, or undefined when it is not whole yet. */
  private token(source: string, position: number): number | undefined {
    if (position >= source.length) return undefined;
    const at = this.consumed + position;
    if (source.charCodeAt(position) !== 0x3c /* < */) return this.characterData(source, position, at);
    const second = source.charCodeAt(position + 1);
    if (second === 0x2f /* / */) return this.closeTag(source, position, at);
    if (second !== 0x21 /* ! */ && second !== 0x3f /* ? */) return Number.isNaN(second) && !this.ended ? undefined : this.startTag(source, position, at);
    // Markup: wait while what is there could still become a longer prefix.
    const rest = source.length - position;
    if (!this.ended && rest < 9 && MARKUP_PREFIXES.some((prefix) => rest < prefix.length && prefix.startsWith(source.slice(position)))) return undefined;
    const kind = MARKUP_PREFIXES.find((prefix) => source.startsWith(prefix, position));
    switch (kind) {
      case "<!--": {
        const end = source.indexOf("-->", position + 4);
        if (end < 0) return this.incomplete("unterminated comment", at);
        return end + 3;
      }
      case "<![CDATA[": {
        if (this.open.length === 0) this.fail(this.rootSeen ? "content after the root element" : "expected the root element", at);
        const end = source.indexOf("]]>", position + 9);
        if (end < 0) return this.incomplete("unterminated CDATA section", at);
        this.handler.text(source.slice(position + 9, end), at);
        return end + 3;
      }
      case "<!DOCTYPE":
        if (this.open.length === 0 && !this.rootSeen) this.fail("a DOCTYPE is not allowed", at);
        return this.fail(this.open.length === 0 ? "content after the root element" : "unsupported markup", at);
      case "<?xml":
        if (this.atStart) return this.declaration(source, position, at);
        return this.fail(this.open.length === 0 ? "processing instructions are not allowed" : "unsupported markup", at);
      default:
        if (this.open.length === 0) this.fail(second === 0x3f ? "processing instructions are not allowed" : this.rootSeen ? "content after the root element" : "expected the root element", at);
        return this.fail("unsupported markup", at);
    }
  }

  private declaration(source: string, position: number, at: number): number | undefined {
    const end = source.indexOf("?>", position);
    if (end < 0) return this.incomplete("unterminated XML declaration", at);
    const encoding = /encoding\s*=\s*["']([^"']+)["']/.exec(source.slice(position, end))?.[1];
    if (encoding && !/^utf-8$/i.test(encoding)) this.fail(`unsupported encoding '${encoding}' (UTF-8 only)`, at);
    return end + 2;
  }

  /** Text up to the next '<': within the root it is reported; outside it only whitespace may be. */
  private characterData(source: string, position: number, at: number): number | undefined {
    let end = source.indexOf("<", position);
    if (end < 0) {
      if (!this.ended) return undefined;
      end = source.length;
    }
    const raw = source.slice(position, end);
    if (this.open.length === 0) {
      if (raw.trim() !== "") this.fail(this.rootSeen ? "content after the root element" : "expected the root element", at + raw.search(/\S/));
      return end;
    }
    if (end === source.length) this.fail(`<${this.open[this.open.length - 1]}> is not closed`, at);
    if (raw.includes("]]>")) this.fail("']]>' in text", at + raw.indexOf("]]>"));
    this.handler.text(decode(raw.includes("\r") ? raw.replace(/\r\n?/g, "\n") : raw, at), at);
    return end;
  }

  private closeTag(source: string, position: number, at: number): number | undefined {
    const end = source.indexOf(">", position + 2);
    if (end < 0) return this.incomplete(this.open.length > 0 ? `<${this.open[this.open.length - 1]}> is not closed` : "expected '>'", at);
    const tag = source.slice(position + 2, end);
    const name = readName(tag, 0, at + 2);
    if (tag.slice(name.length).trim() !== "") this.fail("expected '>'", at + 2 + name.length);
    const current = this.open.pop();
    if (current === undefined) this.fail(this.rootSeen ? "content after the root element" : "expected the root element", at);
    if (name !== current) this.fail(`</${name}> closes <${current}>`, at + 2 + name.length);
    this.handler.close(name, at);
    return end + 1;
  }

  private startTag(source: string, position: number, at: number): number | undefined {
    const { end, quote } = startTagEnd(source, position);
    if (end < 0) return this.incomplete(quote !== 0 ? "unterminated attribute value" : "expected '>'", at);
    if (this.open.length === 0 && this.rootSeen) this.fail("content after the root element", at);
    const selfClosing = source.charCodeAt(end - 1) === 0x2f; /* / */
    const tag = source.slice(position + 1, selfClosing ? end - 1 : end);
    const { name, attributes } = parseStartTag(tag, at + 1);
    this.rootSeen = true;
    this.open.push(name);
    this.handler.open(name, attributes, at);
    if (selfClosing) {
      this.open.pop();
      this.handler.close(name, at);
    }
    return end + 1;
  }

  /** A token cut off by the end of what was written: wait for more, or fail at the end. */
  private incomplete(message: string, at: number): undefined {
    if (this.ended) this.fail(message, at);
    return undefined;
  }

  private fail(message: string, at: number): never {
    throw new XmlSyntaxError(message, at);
  }
}

/** Where the start tag at `position` ends: the first '>' outside a quoted value (-1: not yet), and the quote it is in. */
function startTagEnd(source: string, position: number): { end: number; quote: number } {
  const first = source.indexOf(">", position + 1);
  // Most tags hold no quote before their first '>': then that is their end.
  if (first >= 0) {
    const tag = source.slice(position, first);
    if (!tag.includes('"') && !tag.includes("'")) return { end: first, quote: 0 };
  }
  let quote = 0;
  for (let index = position + 1; index < source.length; index++) {
    const code = source.charCodeAt(index);
    if (quote !== 0) {
      if (code === quote) quote = 0;
    } else if (code === 0x22 || code === 0x27) quote = code;
    else if (code === 0x3e) return { end: index, quote: 0 };
  }
  return { end: -1, quote };
}

/** `name attr="value" ...` of a start tag (without '<', '>' and a closing '/'). */
function parseStartTag(tag: string, offset: number): { name: string; attributes: Record<string, string> } {
  const name = readName(tag, 0, offset);
  if (name.length === tag.length) return { name, attributes: {} };
  const attributes: Record<string, string> = {};
  let position = name.length;
  const skipWhitespace = () => {
    const start = position;
    while (position < tag.length && isWhitespace(tag.charCodeAt(position))) position++;
    return position > start;
  };
  for (;;) {
    const hadSpace = skipWhitespace();
    if (position >= tag.length) break;
    if (tag[position] === "/") throw new XmlSyntaxError("expected '>'", offset + position);
    if (!hadSpace) throw new XmlSyntaxError(`expected whitespace before an attribute of <${name}>`, offset + position);
    const attribute = readName(tag, position, offset);
    position += attribute.length;
    skipWhitespace();
    if (tag[position] !== "=") throw new XmlSyntaxError("expected '='", offset + position);
    position++;
    skipWhitespace();
    const quote = tag[position];
    if (quote !== '"' && quote !== "'") throw new XmlSyntaxError(`attribute '${attribute}' needs a quoted value`, offset + position);
    const end = tag.indexOf(quote, position + 1);
    if (end < 0) throw new XmlSyntaxError(`unterminated value of attribute '${attribute}'`, offset + position);
    const raw = tag.slice(position + 1, end);
    if (raw.includes("<")) throw new XmlSyntaxError(`'<' in the value of attribute '${attribute}'`, offset + position);
    if (Object.prototype.hasOwnProperty.call(attributes, attribute)) throw new XmlSyntaxError(`duplicate attribute '${attribute}' on <${name}>`, offset + position);
    // Attribute-value normalisation: literal whitespace characters become spaces.
    attributes[attribute] = decode(raw.replace(/[\t\n\r]/g, " "), offset + position + 1);
    position = end + 1;
  }
  return { name, attributes };
}

function readName(text: string, position: number, offset: number): string {
  NAME.lastIndex = position;
  const match = NAME.exec(text);
  if (!match) throw new XmlSyntaxError("expected a name", offset + position);
  return match[0];
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0d || code === 0x0a;
}

function decode(raw: string, offset: number): string {
  if (!raw.includes("&")) return raw;
  return raw.replace(/&([^;&<]*);?/g, (match, body: string, at: number) => {
    if (!match.endsWith(";")) throw new XmlSyntaxError("'&' must start an entity reference", offset + at);
    if (NAMED_ENTITIES[body] !== undefined) return NAMED_ENTITIES[body];
    const numeric = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(body);
    const cp = numeric ? parseInt(numeric[1] ?? numeric[2], numeric[1] ? 16 : 10) : NaN;
    if (!numeric || !isXmlChar(cp)) throw new XmlSyntaxError(`unknown entity '${match}'`, offset + at);
    return String.fromCodePoint(cp);
  });
}
