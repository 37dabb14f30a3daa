;; scanner.wat: the fast path of wikistream's event field extractor (see src/event/fields.ts).
;;
;; `bun run scanner` (scripts/build-scanner.ts: wabt, SIMD on) assembles this file into
;; scanner.wasm next to it; both are committed, and tests/system/release/scanner.test.ts fails when they differ.
;; scanner.ts loads the .wasm and turns the answer record into strings.
;;
;; Why WebAssembly. The answer must be exactly JSON.parse's, so every byte is looked at: one raw
;; control character inside any string makes JSON.parse throw. Measured on Bun/JSC with the real
;; events (~1,000 bytes and ~50 strings each, JSON.parse ~2 us): a control-character regex over
;; the text costs ~0.75 us, a charCodeAt loop ~1 ns a character and indexOf ~13 ns a call, so a JS
;; scanner ends up no faster than JSON.parse. A JS grammar walk over the quote list cost ~0.5 us an
;; event, twice this one; a single wasm pass finding each string's end with its own SIMD scan,
;; without the list, measured slower than the two stages below.
;;
;; Two stages, one call ($run):
;;   1. $list_quotes (SIMD, 32 bytes a step) fails on any control character, checks every escape
;;      and lists every unescaped quote.
;;   2. $walk_object walks the grammar between the strings (punctuation, numbers, literals,
;;      nesting), takes each string's end from that list, and records where the picked fields are.
;;      It never decodes an escape.
;; Whenever either stage meets something unusual it gives up ($run returns 0) and the caller asks
;; JSON.parse. Giving up is always allowed; answering differently from JSON.parse never is.
;;
;; Memory (16 pages, 1 MiB), written by scanner.ts before each $run:
;;   0 .. n-1         the text, one byte a character: the Latin-1 view of the event's UTF-8 bytes.
;;                    Bytes 0x80-0xff are neither controls nor punctuation: only ever characters
;;                    inside strings (or invalid JSON, which the walk rejects).
;;   n                0, a sentinel that no stage accepts, so every scan stops there at the latest.
;;   n+1 .. n+31      leftovers, read by stage 1's last block and masked off.
;;   $list            (n + 47) & ~15: stage 1's quote list (room for 4 * (n + 4) bytes).
;;   1 MiB - 128      $out, the answer record.
;;
;; Quote list entry: the quote's index << 1, plus 1 when a backslash came since the previous listed
;; quote (so a closing quote's entry says whether its string holds an escape; an opening quote's,
;; that a backslash stood outside any string). After the last entry: -1.
;;
;; Answer record at $out (every slot's offset is 8 * its key code below):
;;   +8k, +8k+4   start and end (exclusive) of the string of key k = 1 server_name, 2 type,
;;                3 meta.dt, 4 meta.domain, 5 meta.id; start -1: absent. These strings hold no
;;                escape (one that does is left to JSON.parse): the text between is the value.
;;   +48          bot: 1 true, 0 false, -1 absent.
;;   +56          timestamp: -1 absent; 0 the double at +112; 1 the number's text from +64 to
;;                +68, for JS's Number() (a fraction, an exponent, or over 16 characters).
;;   +8k, +8k+4   for the view fields' codes k (today 9 wiki, 10 title, 11 user, 12 log_type,
;;                13 namespace; filled only when $want asks): for a text field, start and the
;;                closing quote's list entry (end << 1, plus 1 when the string holds an escape,
;;                which scanner.ts decodes); for a number field, start and end of its text;
;;                start -1: absent.
;;
;; Key codes ($key in $walk_object): what the value being walked is the value of.
;;   0 K_OTHER  1 K_SERVER_NAME  2 K_TYPE  3 K_DT  4 K_DOMAIN  5 K_ID  6 K_BOT  7 K_TIMESTAMP
;;   8 K_META, then the view fields' (today 9 K_WIKI  10 K_TITLE  11 K_USER  12 K_LOG_TYPE
;;   13 K_NAMESPACE).  K_META and the top-level fields are named only at depth 1 (a title
;;   inside log_params is no title);
;;   K_DT, K_DOMAIN and K_ID only directly inside the top-level meta object.
;;
;; $want: which view fields to name, a bit each (today 1 wiki, 2 title, 4 user, 8 log_type,
;;   16 namespace). A field not asked for is walked like any other value, so its escapes cost
;;   nothing and the usual run does no more than before.
;;
;; The view fields are declared in src/event/scanner-fields.ts, and their codes and bits above
;; follow from its order (the first field's code is 9 and its bit 1, and so on, text fields
;; first). The code that depends on them lies between the lines `;; <generated: NAME>` and
;; `;; </generated>`: `bun run scanner` (scripts/scanner-regions.ts) rewrites it from that table, so
;; edit the table, not those regions; `bun run scanner --check` fails when they are stale.
;;
;; Characters, as they appear in (i32.const ...): 0x20 ' '  0x22 '"'  0x2b '+'  0x2c ','  0x2d '-'
;;   0x2e '.'  0x2f '/'  0x30 '0'  0x31 '1'  0x3a ':'  0x5b '['  0x5c '\'  0x5d ']'  0x65 'e'
;;   0x66 'f'  0x6e 'n'  0x74 't'  0x75 'u'  0x7b '{'  0x7d '}'.
;; Names are compared as little-endian words of their bytes: "type" is (i32.const 0x65707974).
;; Alignment is only a hint in WebAssembly: every load and store below may be unaligned.
(module
  ;; Texts too long for it (over ~200,000 bytes) take the slow path: scanner.ts checks.
  (memory (export "memory") 16)

  ;; $n: the text's length; $list: where stage 1 writes its list; $out: the answer record;
  ;; $want: the view fields to read (above). Returns 1 when the text is surely one JSON object
  ;; and $out holds its fields, else 0.
  (func $run (export "run") (param $n i32) (param $list i32) (param $out i32) (param $want i32) (result i32)
    (local $count i32)
    (local.set $count (call $list_quotes (local.get $n) (local.get $list)))
    ;; Every string has two unescaped quotes and none stand outside strings: an odd count gives
    ;; up, and so does -1 (a bad byte). 0x80000001 tests the sign bit and the low bit at once.
    (if (i32.and (local.get $count) (i32.const 0x80000001))
      (then (return (i32.const 0))))
    (call $walk_object (local.get $n) (local.get $list) (local.get $count) (local.get $out) (local.get $want)))

  ;; ---------------------------------------------------------------------------------------------
  ;; Stage 1. Lists the unescaped quotes of the n bytes from 0 at $list and returns their count,
  ;; or -1 when the text holds a raw control character or a bad escape (JSON.parse would throw).
  ;;
  ;; Each 32-byte block gives two bit masks (bit j: byte i+j), one of quotes and one of "special"
  ;; bytes (controls and backslashes). Quotes before the first special byte are listed; without a
  ;; special byte the next block follows, else the special byte is dealt with and the next block
  ;; starts right after it (after a whole escape: an escaped quote is never listed). One function,
  ;; its state in locals from block to block, with no calls but for the (rare) escapes.
  (func $list_quotes (param $n i32) (param $list i32) (result i32)
    (local $i i32)              ;; the block: bytes i .. i+31
    (local $quotes i32)         ;; bit j: byte i+j is a quote not listed yet
    (local $specials i32)       ;; bit j: byte i+j is below 0x20 or a backslash
    (local $at i32)             ;; scratch: lanes left, then a list slot, then a backslash's index
    (local $c i32)              ;; the byte after a backslash
    (local $count i32)          ;; entries listed
    (local $backslash i32)      ;; 1 when a backslash came since the last listed quote
    (local $found i32)          ;; quotes listed from this block
    (local $spaces v128)        ;; 0x20 in every lane
    (local $quote_bytes v128)   ;; '"' in every lane
    (local $backslashes v128)   ;; '\' in every lane
    (local $bytes v128)         ;; 16 bytes of the block
    (local.set $spaces (i8x16.splat (i32.const 0x20)))
    (local.set $quote_bytes (i8x16.splat (i32.const 0x22)))
    (local.set $backslashes (i8x16.splat (i32.const 0x5c)))
    (block $scanned
      (loop $next_block
        (br_if $scanned (i32.ge_u (local.get $i) (local.get $n)))
        ;; The masks of bytes 16-31, moved to the high half; then those of bytes 0-15 below them.
        (local.set $bytes (v128.load offset=16 (local.get $i)))
        (local.set $quotes (i32.shl
          (i8x16.bitmask (i8x16.eq (local.get $bytes) (local.get $quote_bytes)))
          (i32.const 16)))
        (local.set $specials (i32.shl
          (i8x16.bitmask (v128.or
            (i8x16.lt_u (local.get $bytes) (local.get $spaces))
            (i8x16.eq (local.get $bytes) (local.get $backslashes))))
          (i32.const 16)))
        (local.set $bytes (v128.load (local.get $i)))
        (local.set $quotes (i32.or (local.get $quotes)
          (i8x16.bitmask (i8x16.eq (local.get $bytes) (local.get $quote_bytes)))))
        (local.set $specials (i32.or (local.get $specials)
          (i8x16.bitmask (v128.or
            (i8x16.lt_u (local.get $bytes) (local.get $spaces))
            (i8x16.eq (local.get $bytes) (local.get $backslashes))))))
        ;; The last block reads past the end (the sentinel, then leftovers): drop those lanes.
        (local.set $at (i32.sub (local.get $n) (local.get $i)))
        (if (i32.lt_u (local.get $at) (i32.const 32))
          (then
            (local.set $at (i32.sub (i32.shl (i32.const 1) (local.get $at)) (i32.const 1)))
            (local.set $quotes (i32.and (local.get $quotes) (local.get $at)))
            (local.set $specials (i32.and (local.get $specials) (local.get $at)))))
        ;; Quotes after a special byte wait for the next block, which starts after it.
        (if (local.get $specials)
          (then
            (local.set $quotes (i32.and (local.get $quotes)
              (i32.sub (i32.shl (i32.const 1) (i32.ctz (local.get $specials))) (i32.const 1))))))
        (if (local.get $quotes)
          (then
            ;; Entries for the four lowest quotes are written whether or not there are four:
            ;; fewer unpredictable branches than a loop turn per quote. Extra ones land past the
            ;; count, where the next block's entries or the final -1 overwrite them (hence the
            ;; list's room for 3 spare entries). x & (x - 1) drops the lowest set bit.
            (local.set $at (i32.add (local.get $list) (i32.shl (local.get $count) (i32.const 2))))
            (local.set $found (i32.popcnt (local.get $quotes)))
            (i32.store (local.get $at)
              (i32.or
                (i32.shl (i32.add (local.get $i) (i32.ctz (local.get $quotes))) (i32.const 1))
                (local.get $backslash)))
            (local.set $quotes (i32.and (local.get $quotes) (i32.sub (local.get $quotes) (i32.const 1))))
            (i32.store offset=4 (local.get $at)
              (i32.shl (i32.add (local.get $i) (i32.ctz (local.get $quotes))) (i32.const 1)))
            (local.set $quotes (i32.and (local.get $quotes) (i32.sub (local.get $quotes) (i32.const 1))))
            (i32.store offset=8 (local.get $at)
              (i32.shl (i32.add (local.get $i) (i32.ctz (local.get $quotes))) (i32.const 1)))
            (local.set $quotes (i32.and (local.get $quotes) (i32.sub (local.get $quotes) (i32.const 1))))
            (i32.store offset=12 (local.get $at)
              (i32.shl (i32.add (local.get $i) (i32.ctz (local.get $quotes))) (i32.const 1)))
            (local.set $quotes (i32.and (local.get $quotes) (i32.sub (local.get $quotes) (i32.const 1))))
            (local.set $backslash (i32.const 0))
            (local.set $count (i32.add (local.get $count) (local.get $found)))
            ;; A fifth quote and more, one at a time.
            (block $listed
              (loop $next_quote
                (br_if $listed (i32.eqz (local.get $quotes)))
                (i32.store offset=16 (local.get $at)
                  (i32.shl (i32.add (local.get $i) (i32.ctz (local.get $quotes))) (i32.const 1)))
                (local.set $quotes (i32.and (local.get $quotes) (i32.sub (local.get $quotes) (i32.const 1))))
                (local.set $at (i32.add (local.get $at) (i32.const 4)))
                (br $next_quote)))))
        (if (i32.eqz (local.get $specials))
          (then
            (local.set $i (i32.add (local.get $i) (i32.const 32)))
            (br $next_block)))
        ;; The first special byte. A control character: inside a string JSON.parse would throw;
        ;; between tokens (tab, LF and CR are JSON whitespace) it is rare in these events, and
        ;; left to JSON.parse too.
        (local.set $at (i32.add (local.get $i) (i32.ctz (local.get $specials))))
        (if (i32.ne (i32.load8_u (local.get $at)) (i32.const 0x5c))
          (then (return (i32.const -1))))
        ;; A backslash: the next listed quote gets flagged, and the escape must be valid: \uXXXX
        ;; or one of \" \\ \/ \b \f \n \r \t. Its bytes are skipped (the sentinel at n is no hex
        ;; digit and no escape letter, so an escape cut short fails before reading leftovers).
        (local.set $backslash (i32.const 1))
        (local.set $c (i32.load8_u offset=1 (local.get $at)))
        (if (i32.eq (local.get $c) (i32.const 0x75))
          (then
            (if (i32.eqz (i32.and
                  (i32.and (call $is_hex (i32.load8_u offset=2 (local.get $at)))
                           (call $is_hex (i32.load8_u offset=3 (local.get $at))))
                  (i32.and (call $is_hex (i32.load8_u offset=4 (local.get $at)))
                           (call $is_hex (i32.load8_u offset=5 (local.get $at))))))
              (then (return (i32.const -1))))
            (local.set $i (i32.add (local.get $at) (i32.const 6))))
          (else
            (if (i32.eqz (call $is_escape_letter (local.get $c)))
              (then (return (i32.const -1))))
            (local.set $i (i32.add (local.get $at) (i32.const 2)))))
        (br $next_block)))
    ;; The -1 after the last entry lets the walk read entries without a bounds check.
    (i32.store (i32.add (local.get $list) (i32.shl (local.get $count) (i32.const 2))) (i32.const -1))
    (local.get $count))

  ;; Whether $c is a hex digit: 0-9, a-f or A-F (or-ing 0x20 lowercases a letter).
  (func $is_hex (param $c i32) (result i32)
    (i32.or
      (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))
      (i32.lt_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 6))))

  ;; Whether a backslash and $c make a one-letter JSON escape: $c is one of " \ / b f n r t.
  (func $is_escape_letter (param $c i32) (result i32)
    (i32.or (i32.or (i32.or (i32.or (i32.or (i32.or (i32.or
      (i32.eq (local.get $c) (i32.const 0x22))     ;; '"'
      (i32.eq (local.get $c) (i32.const 0x5c)))    ;; '\'
      (i32.eq (local.get $c) (i32.const 0x2f)))    ;; '/'
      (i32.eq (local.get $c) (i32.const 0x62)))    ;; 'b'
      (i32.eq (local.get $c) (i32.const 0x66)))    ;; 'f'
      (i32.eq (local.get $c) (i32.const 0x6e)))    ;; 'n'
      (i32.eq (local.get $c) (i32.const 0x72)))    ;; 'r'
      (i32.eq (local.get $c) (i32.const 0x74))))   ;; 't'

  ;; ---------------------------------------------------------------------------------------------
  ;; Stage 2. Walks the text (n bytes from 0, with its quote list of $count entries at $list) and
  ;; returns 1 when it is surely one JSON object, with the picked fields recorded at $out; else 0.
  ;;
  ;; Between strings it checks every byte itself (spaces, punctuation, numbers, literals); each
  ;; string's end is its closing quote's list entry. Open containers are kept as a bit stack, so
  ;; nesting deeper than 31 is left to JSON.parse. One function, with the whole state in locals,
  ;; and no calls on the common path: this loop runs ~50 times an event.
  ;;
  ;;   block $done
  ;;     loop $value            a value starts at $i: $c is its first byte, $key what it is for
  ;;       block $member
  ;;         block $after       one of the value cases below, which br $after past the value
  ;;         end
  ;;         loop $close        after a value: a comma then br $value or $member, or a closer
  ;;         end
  ;;       end                  $member: $i is at a key's opening quote; read it, br $value
  ;;     end
  ;;   end                      $done: the top-level object closed
  (func $walk_object (param $n i32) (param $list i32) (param $count i32) (param $out i32) (param $want i32) (result i32)
    (local $i i32)          ;; where the walk is
    (local $c i32)          ;; the byte at $i, where a value starts
    (local $entry i32)      ;; address of the next quote list entry to take
    (local $key i32)        ;; a key code: what the value at $i is the value of
    (local $depth i32)      ;; containers open, the top-level object included
    (local $arrays i32)     ;; bit d: the container at depth d+1 is an array
    (local $in_meta i32)    ;; 1 while the container at depth 2 is the top-level meta object
    (local $close i32)      ;; the list entry of the string's closing quote
    (local $next i32)       ;; the first byte inside a '{' or '['
    (local $in_array i32)   ;; the innermost open container is an array
    (local $len i32)        ;; a key's length
    (local $word i32)       ;; a key's bytes, as a little-endian word
    (local $start i32)      ;; where a number starts ('-' included)
    (local $negative i32)   ;; the number has a '-'
    (local $simple i32)     ;; the number is an integer of at most 16 characters
    (local $digits i64)     ;; the number's integer part (exact when $simple)
    ;; Nothing found yet: every field absent.
    (i32.store offset=8 (local.get $out) (i32.const -1))    ;; server_name
    (i32.store offset=16 (local.get $out) (i32.const -1))   ;; type
    (i32.store offset=24 (local.get $out) (i32.const -1))   ;; meta.dt
    (i32.store offset=32 (local.get $out) (i32.const -1))   ;; meta.domain
    (i32.store offset=40 (local.get $out) (i32.const -1))   ;; meta.id
    (i32.store offset=48 (local.get $out) (i32.const -1))   ;; bot
    (i32.store offset=56 (local.get $out) (i32.const -1))   ;; timestamp
    ;; <generated: view-resets>
    (i32.store offset=72 (local.get $out) (i32.const -1))   ;; wiki
    (i32.store offset=80 (local.get $out) (i32.const -1))   ;; title
    (i32.store offset=88 (local.get $out) (i32.const -1))   ;; user
    (i32.store offset=96 (local.get $out) (i32.const -1))   ;; log_type
    (i32.store offset=104 (local.get $out) (i32.const -1))  ;; namespace
    ;; </generated>
    (local.set $entry (local.get $list))
    ;; Spaces, then the top-level object. (Only ' ' is skipped between tokens: the other JSON
    ;; whitespace characters are controls, which stage 1 already refused.)
    (block $spaces_skipped (loop $skip_spaces
      (br_if $spaces_skipped (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x20)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $skip_spaces)))
    (local.set $c (i32.load8_u (local.get $i)))
    (if (i32.ne (local.get $c) (i32.const 0x7b))
      (then (return (i32.const 0))))
    (block $done
      (loop $value
        (block $member
          (block $after
            ;; A string. Its opening quote must be the next list entry, unflagged (a flag there
            ;; means a backslash outside any string); the next entry is its closing quote.
            (if (i32.eq (local.get $c) (i32.const 0x22))
              (then
                (if (i32.ne (i32.load (local.get $entry)) (i32.shl (local.get $i) (i32.const 1)))
                  (then (return (i32.const 0))))
                (local.set $close (i32.load offset=4 (local.get $entry)))
                (local.set $entry (i32.add (local.get $entry) (i32.const 8)))
                (if (local.get $key)
                  (then
                    (if (i32.le_u (local.get $key) (i32.const 5))
                      (then
                        ;; Key codes 1-5: a string holding an escape is left to JSON.parse to
                        ;; decode; else record start and end.
                        (if (i32.and (local.get $close) (i32.const 1))
                          (then (return (i32.const 0))))
                        (i32.store
                          (i32.add (local.get $out) (i32.shl (local.get $key) (i32.const 3)))
                          (i32.add (local.get $i) (i32.const 1)))
                        (i32.store offset=4
                          (i32.add (local.get $out) (i32.shl (local.get $key) (i32.const 3)))
                          (i32.shr_u (local.get $close) (i32.const 1))))
                      (else
                        ;; The view strings' key codes (one run: the text fields): start and
                        ;; the closing quote's entry, escape flag included. Any other code
                        ;; wanted no string.
                        ;; <generated: view-strings>
                        (if (i32.lt_u (i32.sub (local.get $key) (i32.const 9)) (i32.const 4))  ;; 9-12: wiki, title, user, log_type
                        ;; </generated>
                          (then
                            (i32.store
                              (i32.add (local.get $out) (i32.shl (local.get $key) (i32.const 3)))
                              (i32.add (local.get $i) (i32.const 1)))
                            (i32.store offset=4
                              (i32.add (local.get $out) (i32.shl (local.get $key) (i32.const 3)))
                              (local.get $close)))
                          (else (call $clear_field (local.get $out) (local.get $key))))))))
                (local.set $i (i32.add (i32.shr_u (local.get $close) (i32.const 1)) (i32.const 1)))
                (br $after)))
            ;; An object or an array.
            (if (i32.or (i32.eq (local.get $c) (i32.const 0x7b)) (i32.eq (local.get $c) (i32.const 0x5b)))
              (then
                ;; The wrong kind for every picked field; and a meta object starts empty (the last
                ;; meta wins whole, as in JSON.parse).
                (if (local.get $key)
                  (then (call $clear_field (local.get $out) (local.get $key))))
                (if (i32.eq (local.get $depth) (i32.const 31))
                  (then (return (i32.const 0))))
                ;; Push: bit $depth of $arrays says whether this one is an array.
                (local.set $arrays (i32.or
                  (i32.and (local.get $arrays)
                    (i32.xor (i32.shl (i32.const 1) (local.get $depth)) (i32.const -1)))
                  (i32.shl (i32.eq (local.get $c) (i32.const 0x5b)) (local.get $depth))))
                ;; Each container at depth 2 says whether it is the top-level meta object.
                (if (i32.eq (local.get $depth) (i32.const 1))
                  (then
                    (local.set $in_meta (i32.and
                      (i32.eq (local.get $key) (i32.const 8))           ;; K_META
                      (i32.eq (local.get $c) (i32.const 0x7b))))))
                (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (block $spaces_skipped (loop $skip_spaces
                  (br_if $spaces_skipped (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x20)))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $skip_spaces)))
                (local.set $next (i32.load8_u (local.get $i)))
                ;; Empty: '{' + 2 is '}', '[' + 2 is ']'.
                (if (i32.eq (local.get $next) (i32.add (local.get $c) (i32.const 2)))
                  (then
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
                    (br $after)))
                ;; An array's first item is a value of no picked field; an object's first member
                ;; starts with a key.
                (if (i32.eq (local.get $c) (i32.const 0x5b))
                  (then
                    (local.set $key (i32.const 0))
                    (local.set $c (local.get $next))
                    (br $value)))
                (br $member)))
            ;; A number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
            (if (i32.or
                  (i32.eq (local.get $c) (i32.const 0x2d))
                  (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10)))
              (then
                (local.set $start (local.get $i))
                (local.set $negative (i32.eq (local.get $c) (i32.const 0x2d)))
                (if (local.get $negative)
                  (then
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (local.set $c (i32.load8_u (local.get $i)))))
                (local.set $digits (i64.const 0))
                (if (i32.eq (local.get $c) (i32.const 0x30))
                  (then
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (local.set $c (i32.load8_u (local.get $i))))
                  (else
                    ;; No leading zeros, and a '-' needs a digit.
                    (if (i32.ge_u (i32.sub (local.get $c) (i32.const 0x31)) (i32.const 9))
                      (then (return (i32.const 0))))
                    (loop $integer_digit
                      (local.set $digits (i64.add
                        (i64.mul (local.get $digits) (i64.const 10))
                        (i64.extend_i32_u (i32.sub (local.get $c) (i32.const 0x30)))))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (local.set $c (i32.load8_u (local.get $i)))
                      (br_if $integer_digit
                        (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))))))
                ;; Up to 16 characters the integer is exact in $digits (it may overflow beyond,
                ;; unused then) and converts to a double with one rounding, as JSON.parse does;
                ;; anything longer, or with a fraction or an exponent, is left to Number().
                (local.set $simple (i32.le_s (i32.sub (local.get $i) (local.get $start)) (i32.const 16)))
                (if (i32.eq (local.get $c) (i32.const 0x2e))
                  (then
                    (local.set $simple (i32.const 0))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (if (i32.ge_u (i32.sub (i32.load8_u (local.get $i)) (i32.const 0x30)) (i32.const 10))
                      (then (return (i32.const 0))))
                    (loop $fraction_digit
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br_if $fraction_digit
                        (i32.lt_u (i32.sub (i32.load8_u (local.get $i)) (i32.const 0x30)) (i32.const 10))))
                    (local.set $c (i32.load8_u (local.get $i)))))
                ;; 'e' or 'E' (or-ing 0x20 lowercases).
                (if (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x65))
                  (then
                    (local.set $simple (i32.const 0))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (local.set $c (i32.load8_u (local.get $i)))
                    (if (i32.or (i32.eq (local.get $c) (i32.const 0x2b)) (i32.eq (local.get $c) (i32.const 0x2d)))
                      (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))
                    (if (i32.ge_u (i32.sub (i32.load8_u (local.get $i)) (i32.const 0x30)) (i32.const 10))
                      (then (return (i32.const 0))))
                    (loop $exponent_digit
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br_if $exponent_digit
                        (i32.lt_u (i32.sub (i32.load8_u (local.get $i)) (i32.const 0x30)) (i32.const 10))))))
                (if (local.get $key)
                  (then
                    (if (i32.eq (local.get $key) (i32.const 7))                ;; K_TIMESTAMP
                      (then
                        (if (local.get $simple)
                          (then
                            (i32.store offset=56 (local.get $out) (i32.const 0))
                            (f64.store offset=112 (local.get $out)
                              (select
                                (f64.neg (f64.convert_i64_s (local.get $digits)))
                                (f64.convert_i64_s (local.get $digits))
                                (local.get $negative))))
                          (else
                            (i32.store offset=56 (local.get $out) (i32.const 1))
                            (i32.store offset=64 (local.get $out) (local.get $start))
                            (i32.store offset=68 (local.get $out) (local.get $i)))))
                      (else
                        ;; <generated: view-numbers>
                        (if (i32.eq (local.get $key) (i32.const 13))  ;; K_NAMESPACE
                          (then
                            (i32.store offset=104 (local.get $out) (local.get $start))
                            (i32.store offset=108 (local.get $out) (local.get $i)))
                          (else (call $clear_field (local.get $out) (local.get $key))))
                        ;; </generated>
                        ))))  ;; closes the (else, (if K_TIMESTAMP, (then and (if $key above
                (br $after)))
            ;; The literals. A 4-byte load past the text's end meets the sentinel 0 first.
            (if (i32.eq (local.get $c) (i32.const 0x74))
              (then
                (if (i32.ne (i32.load (local.get $i)) (i32.const 0x65757274))           ;; "true"
                  (then (return (i32.const 0))))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (if (i32.eq (local.get $key) (i32.const 6))                             ;; K_BOT
                  (then (i32.store offset=48 (local.get $out) (i32.const 1)))
                  (else
                    (if (local.get $key)
                      (then (call $clear_field (local.get $out) (local.get $key))))))
                (br $after)))
            (if (i32.eq (local.get $c) (i32.const 0x66))
              (then
                (if (i32.ne (i32.load offset=1 (local.get $i)) (i32.const 0x65736c61))  ;; "alse"
                  (then (return (i32.const 0))))
                (local.set $i (i32.add (local.get $i) (i32.const 5)))
                (if (i32.eq (local.get $key) (i32.const 6))                             ;; K_BOT
                  (then (i32.store offset=48 (local.get $out) (i32.const 0)))
                  (else
                    (if (local.get $key)
                      (then (call $clear_field (local.get $out) (local.get $key))))))
                (br $after)))
            (if (i32.eq (local.get $c) (i32.const 0x6e))
              (then
                (if (i32.ne (i32.load (local.get $i)) (i32.const 0x6c6c756e))           ;; "null"
                  (then (return (i32.const 0))))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (if (local.get $key)
                  (then (call $clear_field (local.get $out) (local.get $key))))
                (br $after)))
            ;; Nothing a JSON value starts with.
            (return (i32.const 0)))
          ;; $after: a value ended at $i. Next: a comma and another item or member, or the
          ;; closers of the containers that end here.
          (loop $close
            (br_if $done (i32.eqz (local.get $depth)))
            (block $spaces_skipped (loop $skip_spaces
              (br_if $spaces_skipped (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x20)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $skip_spaces)))
            (local.set $c (i32.load8_u (local.get $i)))
            (local.set $in_array (i32.and
              (i32.shr_u (local.get $arrays) (i32.sub (local.get $depth) (i32.const 1)))
              (i32.const 1)))
            (if (i32.eq (local.get $c) (i32.const 0x2c))
              (then
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (block $spaces_skipped (loop $skip_spaces
                  (br_if $spaces_skipped (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x20)))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $skip_spaces)))
                (if (local.get $in_array)
                  (then
                    (local.set $key (i32.const 0))
                    (local.set $c (i32.load8_u (local.get $i)))
                    (br $value)))
                (br $member)))
            ;; The closer must match the innermost container.
            (if (i32.ne (local.get $c) (select (i32.const 0x5d) (i32.const 0x7d) (local.get $in_array)))
              (then (return (i32.const 0))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
            (br $close)))
        ;; $member: $i is at the opening quote of a key (or fails the list check if it is not).
        (if (i32.ne (i32.load (local.get $entry)) (i32.shl (local.get $i) (i32.const 1)))
          (then (return (i32.const 0))))
        (local.set $close (i32.load offset=4 (local.get $entry)))
        (local.set $entry (i32.add (local.get $entry) (i32.const 8)))
        ;; Keys are named only where picked fields live: the top level and the top-level meta.
        (local.set $key (i32.const 0))
        (if (i32.or
              (i32.eq (local.get $depth) (i32.const 1))
              (i32.and (i32.eq (local.get $depth) (i32.const 2)) (local.get $in_meta)))
          (then
            ;; An escaped key might spell a field's name: leave it to JSON.parse.
            (if (i32.and (local.get $close) (i32.const 1))
              (then (return (i32.const 0))))
            ;; The name (from $i + 1, $len bytes) is compared as whole words, an 11- or 9-byte one as
            ;; two overlapping 8-byte loads; every load stays inside the name, except that a 3-, 5-
            ;; or 6-byte one masks off the bytes after it (still in memory: the text's padding).
            ;; Inline, not a call: ~25 keys an event.
            (local.set $len (i32.sub (i32.sub (i32.shr_u (local.get $close) (i32.const 1)) (local.get $i)) (i32.const 1)))
            (if (i32.eq (local.get $depth) (i32.const 1))
              (then
                ;; A top-level key: server_name, timestamp, type, meta or bot.
                ;; And, when $want asks, the view fields. One test a length, whose keys are
                ;; then compared and the block left.
                ;; <generated: top-level-keys>
                (block $named
                  (if (i32.eq (local.get $len) (i32.const 11))
                    (then
                      (if (i32.and
                            (i64.eq (i64.load offset=1 (local.get $i)) (i64.const 0x6e5f726576726573))       ;; "server_n"
                            (i64.eq (i64.load offset=4 (local.get $i)) (i64.const 0x656d616e5f726576)))      ;; "ver_name"
                        (then (local.set $key (i32.const 1))))                                               ;; K_SERVER_NAME
                      (br $named)))
                  (if (i32.eq (local.get $len) (i32.const 9))
                    (then
                      (if (i32.and
                            (i64.eq (i64.load offset=1 (local.get $i)) (i64.const 0x6d617473656d6974))       ;; "timestam"
                            (i64.eq (i64.load offset=2 (local.get $i)) (i64.const 0x706d617473656d69)))      ;; "imestamp"
                        (then (local.set $key (i32.const 7))))                                               ;; K_TIMESTAMP
                      (if (i32.and (local.get $want) (i32.const 16))
                        (then
                          (if (i32.and
                                (i64.eq (i64.load offset=1 (local.get $i)) (i64.const 0x63617073656d616e))   ;; "namespac"
                                (i64.eq (i64.load offset=2 (local.get $i)) (i64.const 0x6563617073656d61)))  ;; "amespace"
                            (then (local.set $key (i32.const 13))))))                                        ;; K_NAMESPACE
                      (br $named)))
                  (if (i32.eq (local.get $len) (i32.const 4))
                    (then
                      (local.set $word (i32.load offset=1 (local.get $i)))
                      (if (i32.eq (local.get $word) (i32.const 0x65707974))                                  ;; "type"
                        (then (local.set $key (i32.const 2))))                                               ;; K_TYPE
                      (if (i32.eq (local.get $word) (i32.const 0x6174656d))                                  ;; "meta"
                        (then (local.set $key (i32.const 8))))                                               ;; K_META
                      (if (i32.and (local.get $want) (i32.const 1))
                        (then
                          (if (i32.eq (local.get $word) (i32.const 0x696b6977))                              ;; "wiki"
                            (then (local.set $key (i32.const 9))))))                                         ;; K_WIKI
                      (if (i32.and (local.get $want) (i32.const 4))
                        (then
                          (if (i32.eq (local.get $word) (i32.const 0x72657375))                              ;; "user"
                            (then (local.set $key (i32.const 11))))))                                        ;; K_USER
                      (br $named)))
                  (if (i32.eq (local.get $len) (i32.const 5))
                    (then
                      (if (i32.and (local.get $want) (i32.const 2))
                        (then
                          (if (i64.eq
                                (i64.and (i64.load offset=1 (local.get $i)) (i64.const 0xffffffffff))
                                (i64.const 0x656c746974))                                                    ;; "title"
                            (then (local.set $key (i32.const 10))))))                                        ;; K_TITLE
                      (br $named)))
                  (if (i32.eq (local.get $len) (i32.const 8))
                    (then
                      (if (i32.and (local.get $want) (i32.const 8))
                        (then
                          (if (i64.eq (i64.load offset=1 (local.get $i)) (i64.const 0x657079745f676f6c))     ;; "log_type"
                            (then (local.set $key (i32.const 12))))))                                        ;; K_LOG_TYPE
                      (br $named)))
                  (if (i32.and
                        (i32.eq (local.get $len) (i32.const 3))
                        (i32.eq
                          (i32.and (i32.load offset=1 (local.get $i)) (i32.const 0xffffff))
                          (i32.const 0x746f62)))                                                             ;; "bot"
                    (then (local.set $key (i32.const 6)))))                                                  ;; K_BOT
                ;; </generated>
              )  ;; closes the (then
              (else
                ;; A key in the top-level meta: dt, id or domain.
                (if (i32.eq (local.get $len) (i32.const 2))
                  (then
                    (local.set $word (i32.load16_u offset=1 (local.get $i)))
                    (if (i32.eq (local.get $word) (i32.const 0x7464))                                   ;; "dt"
                      (then (local.set $key (i32.const 3))))                                             ;; K_DT
                    (if (i32.eq (local.get $word) (i32.const 0x6469))                                   ;; "id"
                      (then (local.set $key (i32.const 5)))))                                            ;; K_ID
                  (else
                    (if (i32.and
                          (i32.eq (local.get $len) (i32.const 6))
                          (i64.eq
                            (i64.and (i64.load offset=1 (local.get $i)) (i64.const 0xffffffffffff))
                            (i64.const 0x6e69616d6f64)))                                                 ;; "domain"
                      (then (local.set $key (i32.const 4))))))))))                                       ;; K_DOMAIN
        ;; A colon, maybe after spaces; then spaces and the value.
        (local.set $i (i32.add (i32.shr_u (local.get $close) (i32.const 1)) (i32.const 1)))
        (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x3a))
          (then
            (block $spaces_skipped (loop $skip_spaces
              (br_if $spaces_skipped (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x20)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $skip_spaces)))
            (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x3a))
              (then (return (i32.const 0))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (block $spaces_skipped (loop $skip_spaces
          (br_if $spaces_skipped (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x20)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $skip_spaces)))
        (local.set $c (i32.load8_u (local.get $i)))
        (br $value)))
    ;; $done: the top-level object closed. Only spaces may follow, and every listed quote must
    ;; have been a string's (a quote the walk stepped over would be left in the list).
    (block $spaces_skipped (loop $skip_spaces
      (br_if $spaces_skipped (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x20)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $skip_spaces)))
    (if (i32.ne (local.get $i) (local.get $n))
      (then (return (i32.const 0))))
    (if (i32.ne (local.get $entry) (i32.add (local.get $list) (i32.shl (local.get $count) (i32.const 2))))
      (then (return (i32.const 0))))
    (i32.const 1))

  ;; The field of key code $key met a value of the wrong kind: as far as JSON.parse and the pick
  ;; go, it is absent (a later duplicate key replaces an earlier value). For K_META that is all
  ;; three meta fields; any other code's slot is at 8 * $key. Rare, hence a call.
  (func $clear_field (param $out i32) (param $key i32)
    (if (i32.eq (local.get $key) (i32.const 8))
      (then
        (i32.store offset=24 (local.get $out) (i32.const -1))
        (i32.store offset=32 (local.get $out) (i32.const -1))
        (i32.store offset=40 (local.get $out) (i32.const -1)))
      (else
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $key) (i32.const 3))) (i32.const -1))))))
