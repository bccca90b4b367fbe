/**
 * Container and blob naming rules as Azure documents them, and destinations with virtual folders.
 */
import {
  BlobNameError,
  blobNameProblem,
  blobPathFor,
  driveFileNameProblem,
  containerNameProblem,
  parseBlobPath,
  parseDestination,
  renamedBlobName,
} from "../../shared/formats/blob-names";

describe("container names", () => {
  it.each(["abc", "photos-2024", "a1b", "0day", "a".repeat(63), "$root", "$web"])("accepts '%s'", (name) => {
    expect(containerNameProblem(name)).toBeUndefined();
  });

  it.each([
    ["ab", "3 to 63"],
    ["a".repeat(64), "3 to 63"],
    ["Photos", "lowercase"],
    ["-photos", "start and end"],
    ["photos-", "start and end"],
    ["pho--tos", "single hyphens"],
    ["pho_tos", "letters, digits"],
    ["pho.tos", "letters, digits"],
    ["$logs", "letters, digits"],
    ["fotos\u00e9", "letters, digits"],
  ])("refuses '%s'", (name, message) => {
    expect(containerNameProblem(name)).toContain(message);
  });
});

describe("blob names", () => {
  it.each(["a", "a/b/c.txt", "été/日本語/файл.txt", "with space/and+plus=&?#.txt", "x".repeat(1024), "a/".repeat(253) + "b", "😀/emoji"])(
    "accepts '%s'",
    (name) => {
      expect(blobNameProblem(name)).toBeUndefined();
    },
  );

  it.each([
    ["", "empty"],
    ["x".repeat(1025), "1025 characters"],
    ["a/".repeat(254) + "b", "255 path segments"],
    ["a\u0000b", "U+0000"],
    ["a\u0081b", "U+0081"],
    ["a\uE000b", "U+E000"],
    ["a\uD800b", "U+D800"],
    ["a\\b", "backslash"],
    ["/a", "empty path segment"],
    ["a//b", "empty path segment"],
    ["a/", "empty path segment"],
    ["a/../b", "'..'"],
    ["./a", "'.'"],
    ["dir./a", "ending in '.'"],
    ["a.", "ending in '.'"],
  ])("refuses %j", (name, message) => {
    expect(blobNameProblem(name)).toContain(message);
  });

  it("counts characters, not UTF-16 units: 1,024 emoji are a valid name", () => {
    expect(blobNameProblem("😀".repeat(1024))).toBeUndefined();
    expect(blobNameProblem("😀".repeat(1025))).toContain("1025 characters");
  });

  it("keeps blobs in $root flat", () => {
    expect(blobNameProblem("a/b", "$root")).toContain("$root");
    expect(parseBlobPath("$root/a.txt")).toEqual({ container: "$root", blobName: "a.txt" });
  });

  it("splits and checks a manifest blob path", () => {
    expect(parseBlobPath("photos/2024/a.jpg")).toEqual({ container: "photos", blobName: "2024/a.jpg" });
    expect(() => parseBlobPath("photos")).toThrow(BlobNameError);
    expect(() => parseBlobPath("Photos/a")).toThrow("lowercase");
    expect(() => parseBlobPath("photos/a//b")).toThrow("empty path segment");
  });
});

describe("destinations", () => {
  it("takes a container, with or without a virtual directory", () => {
    expect(parseDestination("photos")).toEqual({ container: "photos", prefix: "" });
    expect(parseDestination("photos/")).toEqual({ container: "photos", prefix: "" });
    expect(parseDestination("photos/2024/summer")).toEqual({ container: "photos", prefix: "2024/summer/" });
    expect(parseDestination("photos/2024/summer/")).toEqual({ container: "photos", prefix: "2024/summer/" });
  });

  it("names the blob of a file below the destination", () => {
    expect(blobPathFor(parseDestination("photos/2024"), ["été", "a.jpg"])).toBe("photos/2024/été/a.jpg");
    expect(blobPathFor(parseDestination("photos"), ["a.jpg"])).toBe("photos/a.jpg");
  });

  it("refuses a bad container or virtual directory, and a file name Azure would refuse", () => {
    expect(() => parseDestination("My_Photos/x")).toThrow(BlobNameError);
    expect(() => parseDestination("photos/a//b")).toThrow("virtual directory");
    expect(() => blobPathFor(parseDestination("photos"), ["dir.", "a.jpg"])).toThrow("ending in '.'");
  });
});

describe("the rename disposition's names", () => {
  it.each([
    ["BlobNameWithoutDot", 2, "BlobNameWithoutDot (2)"],
    ["BlobNameWithoutDot", 3, "BlobNameWithoutDot (3)"],
    ["Seattle.jpg", 2, "Seattle (2).jpg"],
    ["Seattle.jpg", 3, "Seattle (3).jpg"],
    ["archive.tar.gz", 2, "archive.tar (2).gz"],
    ["v1.2/notes", 2, "v1.2/notes (2)"],
    ["photos/.hidden", 2, "photos/.hidden (2)"],
  ])("renames %s on attempt %i to %s", (name, attempt, renamed) => {
    expect(renamedBlobName(name, attempt)).toBe(renamed);
  });
});

describe("names a file on an export drive can have", () => {
  it.each([
    ["c/ok.txt"],
    ["c/dir/sub/a b.tar.gz"],
    [`c/${"n".repeat(255)}`],
    [`c/${"é".repeat(127)}`],
    ["c/console.txt"],
    ["c/CONX"],
    ["$root/x"],
  ])("'%s' can be a file", (blobPath) => {
    expect(driveFileNameProblem(blobPath)).toBeUndefined();
  });

  it.each([
    ["c/CON", "reserves"],
    ["c/nul.txt", "reserves"],
    ["c/dir/Com1.tar.gz", "reserves"],
    ["c/LPT9", "reserves"],
    ["c/AUX /x", "dot or a space"],
    ["c/a:b", "':'"],
    ["c/what?", "'?'"],
    ["c/a*b", "'*'"],
    ['c/say "hi"', "'\"'"],
    ["c/a<b>", "'<'"],
    ["c/a|b", "'|'"],
    ["c/back\\slash", "'\\'"],
    ["c/trailing.", "dot or a space"],
    ["c/trailing ", "dot or a space"],
    ["c/dir./a", "dot or a space"],
    ["c/a//b", "not a file or folder name"],
    ["c/../x", "not a file or folder name"],
    [`c/${"n".repeat(256)}`, "256 characters"],
    [`c/${"é".repeat(128)}`, "256 bytes"],
  ])("'%s' cannot: %s", (blobPath, problem) => {
    expect(driveFileNameProblem(blobPath)).toContain(problem);
  });
});
