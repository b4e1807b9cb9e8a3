// Command keeverify checks Kee's audit artifacts with third-party Go libraries only:
// golang.org/x/mod/sumdb/note (C2SP signed notes), github.com/transparency-dev/merkle
// (RFC 9162 inclusion and consistency proofs), github.com/gowebpki/jcs (RFC 8785) and the
// standard library's crypto/ed25519. It shares no code with the kernel, so a property that
// holds here does not hold merely because Kee agrees with itself.
//
// Usage: keeverify <dir> <kernel public key hex>
//
// <dir> holds what test/thirdparty-go.test.ts fetched from a kernel:
//
//	checkpoint.txt, old-checkpoint.txt   signed notes of the block log, now and earlier
//	consistency.json                     GET /v1/audit/proofs/consistency?from=<old>&to=<now>
//	block-<i>.json, inclusion-<i>.json   GET /v1/audit/log/entries/<i>, GET .../proofs/inclusion?index=<i>
//	package-<i>.json                     GET /v1/audit/blocks/{id}/package of block i
//
// It prints "OK …" and exits 0, or prints "FAIL <what>: <why>" and exits 1.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gowebpki/jcs"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

func fail(what string, err any) {
	fmt.Printf("FAIL %s: %v\n", what, err)
	os.Exit(1)
}

func read(dir, name string) []byte {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		fail(name, err)
	}
	return b
}

func hexList(what string, in []string) [][]byte {
	out := make([][]byte, 0, len(in))
	for _, s := range in {
		b, err := hex.DecodeString(s)
		if err != nil {
			fail(what, err)
		}
		out = append(out, b)
	}
	return out
}

func canonical(what string, v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		fail(what, err)
	}
	out, err := jcs.Transform(raw)
	if err != nil {
		fail(what, err)
	}
	return out
}

type checkpoint struct {
	size uint64
	root []byte
}

// openCheckpoint verifies a signed note with the verifier key the C2SP signed-note spec derives
// from the origin and the raw Ed25519 key, and parses its tlog-checkpoint body.
func openCheckpoint(name string, msg []byte, pub ed25519.PublicKey) checkpoint {
	origin, _, _ := strings.Cut(string(msg), "\n")
	hash := sha256.Sum256(append(append([]byte(origin), '\n', 0x01), pub...))
	vkey := fmt.Sprintf("%s+%08x+%s", origin, hash[:4], base64.StdEncoding.EncodeToString(append([]byte{0x01}, pub...)))
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fail(name, err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail(name, err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != origin {
		fail(name, "not a tlog-checkpoint body")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil {
		fail(name, err)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != 32 {
		fail(name, "root is not 32 bytes of base64")
	}
	return checkpoint{size, root}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: keeverify <dir> <public key hex>")
		os.Exit(2)
	}
	dir := os.Args[1]
	pub, err := hex.DecodeString(os.Args[2])
	if err != nil || len(pub) != ed25519.PublicKeySize {
		fmt.Fprintln(os.Stderr, "public key must be 32 bytes of hex")
		os.Exit(2)
	}
	h := rfc6962.DefaultHasher

	now := openCheckpoint("checkpoint.txt", read(dir, "checkpoint.txt"), pub)
	old := openCheckpoint("old-checkpoint.txt", read(dir, "old-checkpoint.txt"), pub)
	var cons struct {
		Proof []string `json:"proof"`
	}
	if err := json.Unmarshal(read(dir, "consistency.json"), &cons); err != nil {
		fail("consistency.json", err)
	}
	if err := proof.VerifyConsistency(h, old.size, now.size, hexList("consistency.json", cons.Proof), old.root, now.root); err != nil {
		fail("consistency.json", err)
	}

	records := 0
	for i := uint64(0); i < now.size; i++ {
		blockFile, inclFile, pkgFile := fmt.Sprintf("block-%d.json", i), fmt.Sprintf("inclusion-%d.json", i), fmt.Sprintf("package-%d.json", i)
		var entry struct {
			Block map[string]any `json:"block"`
		}
		if err := json.Unmarshal(read(dir, blockFile), &entry); err != nil {
			fail(blockFile, err)
		}
		delete(entry.Block, "log_index")
		var incl struct {
			LeafIndex uint64   `json:"leaf_index"`
			TreeSize  uint64   `json:"tree_size"`
			AuditPath []string `json:"audit_path"`
		}
		if err := json.Unmarshal(read(dir, inclFile), &incl); err != nil {
			fail(inclFile, err)
		}
		if incl.LeafIndex != i || incl.TreeSize != now.size {
			fail(inclFile, "proof is for another leaf or size")
		}
		leaf := h.HashLeaf(canonical(blockFile, entry.Block))
		if err := proof.VerifyInclusion(h, i, now.size, leaf, hexList(inclFile, incl.AuditPath), now.root); err != nil {
			fail(inclFile, err)
		}
		records += verifyPackage(pkgFile, read(dir, pkgFile), pub, entry.Block)
	}
	fmt.Printf("OK %d blocks, %d records: checkpoints, consistency, block inclusion, block signatures, record chains and inclusion\n", now.size, records)
}

// verifyPackage checks an audit package: it is for the block in the log, the block signature
// covers JCS({block_id, merkle_root, block_close_timestamp}), each record links to the SHA-256 of
// the JCS of the one before, and each record's inclusion proof reaches merkle_root.
func verifyPackage(name string, raw []byte, pub ed25519.PublicKey, logged map[string]any) int {
	var pkg struct {
		Block   map[string]any `json:"block"`
		Records []struct {
			LeafIndex      uint64         `json:"leaf_index"`
			Record         map[string]any `json:"record"`
			InclusionProof []string       `json:"inclusion_proof"`
		} `json:"records"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&pkg); err != nil {
		fail(name, err)
	}
	if !bytes.Equal(canonical(name, pkg.Block), canonical(name, logged)) {
		fail(name, "block differs from the block log's entry")
	}
	root, err := hex.DecodeString(fmt.Sprint(pkg.Block["merkle_root"]))
	if err != nil {
		fail(name, err)
	}
	sig, _ := pkg.Block["block_signature"].(map[string]any)
	sigBytes, err := hex.DecodeString(fmt.Sprint(sig["signature"]))
	if err != nil {
		fail(name, err)
	}
	input := canonical(name, map[string]any{
		"block_id": pkg.Block["block_id"], "merkle_root": pkg.Block["merkle_root"], "block_close_timestamp": pkg.Block["block_close_timestamp"],
	})
	if !ed25519.Verify(pub, input, sigBytes) {
		fail(name, "block signature does not verify")
	}
	size := uint64(len(pkg.Records))
	if fmt.Sprint(pkg.Block["record_count"]) != strconv.FormatUint(size, 10) {
		fail(name, "record_count differs from the records")
	}
	var prev any // nil: the first record's prev_span_hash must be null
	for i, e := range pkg.Records {
		what := fmt.Sprintf("%s record %d", name, i)
		if e.LeafIndex != uint64(i) {
			fail(what, "leaf_index out of order")
		}
		if e.Record["prev_span_hash"] != prev {
			fail(what, "prev_span_hash does not link to the record before")
		}
		text := canonical(what, e.Record)
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, e.LeafIndex, size, rfc6962.DefaultHasher.HashLeaf(text), hexList(what, e.InclusionProof), root); err != nil {
			fail(what, err)
		}
		sum := sha256.Sum256(text)
		prev = hex.EncodeToString(sum[:])
	}
	return len(pkg.Records)
}
