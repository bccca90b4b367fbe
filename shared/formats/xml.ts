/**
 * The small XML subset the drive files use (manifest, metadata and properties files): elements,
 * attributes, text, comments, an XML declaration and CDATA, with the five named entities and
 * numeric character references. A DOCTYPE is refused outright, so no entity can expand and no
 * external resource can be named; the files are written by tools, never by hand-rolled DTDs.
 * No dependency: the element sets are small and fixed, and the formats' own rules are checked by
 * the modules that read them.
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
  const invalid = INVALID_XML_CHARACTER.exec(source);
  if (invalid) throw new XmlSyntaxError("character not allowed in XML", invalid.index);
  return new XmlReader(source.replace(/^\uFEFF/, "")).document();
}

class XmlReader {
  private position = 0;
  constructor(private readonly source: string) {}

  document(): XmlElement {
    if (this.source.startsWith("<?xml", 0)) {
      const end = this.source.indexOf("?>");
      if (end < 0) this.fail("unterminated XML declaration");
      const declaration = this.source.slice(0, end);
      const encoding = /encoding\s*=\s*["']([^"']+)["']/.exec(declaration)?.[1];
      if (encoding && !/^utf-8$/i.test(encoding)) this.fail(`unsupported encoding '${encoding}' (UTF-8 only)`);
      this.position = end + 2;
    }
    this.skipMisc();
    if (this.source[this.position] !== "<") this.fail("expected the root element");
    const root = this.element();
    this.skipMisc();
    if (this.position < this.source.length) this.fail("content after the root element");
    return root;
  }

  private skipMisc(): void {
    for (;;) {
      this.skipWhitespace();
      if (this.source.startsWith("<!--", this.position)) this.comment();
      else if (this.source.startsWith("<!DOCTYPE", this.position)) this.fail("a DOCTYPE is not allowed");
      else if (this.source.startsWith("<?", this.position)) this.fail("processing instructions are not allowed");
      else return;
    }
  }

  private element(): XmlElement {
    this.expect("<");
    const name = this.name();
    const attributes: Record<string, string> = {};
    for (;;) {
      const hadSpace = this.skipWhitespace();
      const next = this.source[this.position];
      if (next === "/" || next === ">") break;
      if (!hadSpace) this.fail(`expected whitespace before an attribute of <${name}>`);
      const attribute = this.name();
      this.skipWhitespace();
      this.expect("=");
      this.skipWhitespace();
      const quote = this.source[this.position];
      if (quote !== '"' && quote !== "'") this.fail(`attribute '${attribute}' needs a quoted value`);
      const end = this.source.indexOf(quote, this.position + 1);
      if (end < 0) this.fail(`unterminated value of attribute '${attribute}'`);
      const raw = this.source.slice(this.position + 1, end);
      if (raw.includes("<")) this.fail(`'<' in the value of attribute '${attribute}'`);
      if (Object.prototype.hasOwnProperty.call(attributes, attribute)) this.fail(`duplicate attribute '${attribute}' on <${name}>`);
      // Attribute-value normalisation: literal whitespace characters become spaces.
      attributes[attribute] = this.decode(raw.replace(/[\t\n\r]/g, " "), this.position + 1);
      this.position = end + 1;
    }
    if (this.source.startsWith("/>", this.position)) {
      this.position += 2;
      return { name, attributes, children: [], text: "" };
    }
    this.expect(">");
    const children: XmlElement[] = [];
    let text = "";
    for (;;) {
      const next = this.source.indexOf("<", this.position);
      if (next < 0) this.fail(`<${name}> is not closed`);
      const raw = this.source.slice(this.position, next);
      if (raw.includes("]]>")) this.fail("']]>' in text");
      text += this.decode(raw.replace(/\r\n?/g, "\n"), this.position);
      this.position = next;
      if (this.source.startsWith("</", this.position)) {
        this.position += 2;
        const closing = this.name();
        if (closing !== name) this.fail(`</${closing}> closes <${name}>`);
        this.skipWhitespace();
        this.expect(">");
        return { name, attributes, children, text };
      }
      if (this.source.startsWith("<!--", this.position)) this.comment();
      else if (this.source.startsWith("<![CDATA[", this.position)) {
        const end = this.source.indexOf("]]>", this.position);
        if (end < 0) this.fail("unterminated CDATA section");
        text += this.source.slice(this.position + 9, end);
        this.position = end + 3;
      } else if (this.source.startsWith("<!", this.position) || this.source.startsWith("<?", this.position)) {
        this.fail("unsupported markup");
      } else children.push(this.element());
    }
  }

  private comment(): void {
    const end = this.source.indexOf("-->", this.position + 4);
    if (end < 0) this.fail("unterminated comment");
    this.position = end + 3;
  }

  private decode(raw: string, offset: number): string {
    return raw.replace(/&([^;&<]*);?/g, (match, body: string, at: number) => {
      if (!match.endsWith(";")) throw new XmlSyntaxError("'&' must start an entity reference", offset + at);
      if (NAMED_ENTITIES[body] !== undefined) return NAMED_ENTITIES[body];
      const numeric = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(body);
      const cp = numeric ? parseInt(numeric[1] ?? numeric[2], numeric[1] ? 16 : 10) : NaN;
      if (!numeric || !isXmlChar(cp)) throw new XmlSyntaxError(`unknown entity '${match}'`, offset + at);
      return String.fromCodePoint(cp);
    });
  }

  private name(): string {
    NAME.lastIndex = this.position;
    const match = NAME.exec(this.source);
    if (!match) this.fail("expected a name");
    this.position += match[0].length;
    return match[0];
  }

  private skipWhitespace(): boolean {
    const start = this.position;
    for (;;) {
      const code = this.source.charCodeAt(this.position);
      if (code !== 0x20 && code !== 0x09 && code !== 0x0d && code !== 0x0a) break;
      this.position++;
    }
    return this.position > start;
  }

  private expect(token: string): void {
    if (!this.source.startsWith(token, this.position)) this.fail(`expected '${token}'`);
    this.position += token.length;
  }

  private fail(message: string): never {
    throw new XmlSyntaxError(message, this.position);
  }
}
