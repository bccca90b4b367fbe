/**
 * The XML reader the drive files share: iterative (a document nested 100,000 deep is read, or
 * refused, never a stack overflow) and streaming (text fed in pieces of any size gives the same
 * events as the whole, holding only the unfinished token).
 */
import * as fc from "fast-check";
import { parseXml, XmlElement, XmlSyntaxError, XmlTokenizer, XmlTreeBuilder } from "../../shared/formats/xml";
import { BlobFileFormatError, parseMetadataFile } from "../../shared/formats/metadata-properties";

const DOCUMENTS = [
  `\uFEFF<?xml version="1.0" encoding="utf-8"?>\r\n<!-- a comment -->\r\n<Root a='1' b="x &amp; &#x41;&#66;">\r\n  text &lt;here&gt;<Child/><![CDATA[raw <data> & more]]><Other c="&quot;q&quot;">é 😀 ok</Other>\r\n</Root>\r\n<!-- after -->\n`,
  `<Metadata>\n  <Camera>Nikon &amp; co</Camera>\n  <Place>Île-de-France</Place>\n</Metadata>`,
  `<a><b><c><d x="1"/></c></b>tail</a>`,
];

/** The tree a tokenizer builds from `pieces`. */
function treeFromPieces(pieces: string[]): XmlElement {
  const builder = new XmlTreeBuilder();
  const tokenizer = new XmlTokenizer(builder);
  for (const piece of pieces) tokenizer.write(piece);
  tokenizer.end();
  return builder.root!;
}

function split(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(text.slice(from, point));
    from = point;
  }
  pieces.push(text.slice(from));
  return pieces;
}

describe("the XML reader", () => {
  it("reads a document nested 100,000 deep without a stack overflow (bug: the recursive reader threw RangeError)", () => {
    const depth = 100_000;
    const xml = "<a>".repeat(depth) + "</a>".repeat(depth);
    let element = parseXml(xml);
    let levels = 1;
    while (element.children.length > 0) {
      element = element.children[0];
      levels++;
    }
    expect(levels).toBe(depth);
  });

  it("refuses a deeply nested metadata file as a format error, not a crash", () => {
    const xml = "<Metadata>" + "<a>".repeat(100_000) + "</a>".repeat(100_000) + "</Metadata>";
    expect(() => parseMetadataFile(xml)).toThrow(BlobFileFormatError);
  });

  it("gives the same tree whatever the pieces the text comes in", () => {
    fc.assert(
      fc.property(fc.constantFrom(...DOCUMENTS), fc.array(fc.nat(), { maxLength: 12 }), (xml, cuts) => {
        expect(treeFromPieces(split(xml, cuts))).toEqual(parseXml(xml));
      }),
      { numRuns: 300 },
    );
    // One character at a time, surrogate pairs split included.
    for (const xml of DOCUMENTS) expect(treeFromPieces([...xml.split("")])).toEqual(parseXml(xml));
  });

  it("holds only the unfinished token: one longer than its bound is refused before the rest arrives", () => {
    const tokenizer = new XmlTokenizer(new XmlTreeBuilder(), 1000);
    tokenizer.write("<Root><Field>");
    expect(() => tokenizer.write("x".repeat(2000))).toThrow(/token longer than 1000 characters/);
  });

  it.each([
    ["an unclosed element", "<a><b></b>", "<a> is not closed"],
    ["a mismatched close", "<a></b>", "</b> closes <a>"],
    ["two roots", "<a/><b/>", "content after the root"],
    ["text after the root", "<a/>x", "content after the root"],
    ["no root", "  ", "expected the root element"],
    ["a DOCTYPE", '<!DOCTYPE a [<!ENTITY x "y">]><a/>', "DOCTYPE"],
    ["a processing instruction", "<a><?pi x?></a>", "unsupported markup"],
    ["a duplicate attribute", '<a x="1" x="2"/>', "duplicate attribute"],
    ["a bare ampersand", "<a>x & y</a>", "'&' must start an entity reference"],
  ])("refuses %s, in one piece or many", (_what, xml, message) => {
    expect(() => parseXml(xml)).toThrow(XmlSyntaxError);
    expect(() => parseXml(xml)).toThrow(message);
    expect(() => treeFromPieces(xml.split(""))).toThrow(message);
  });
});
