/* @ts-self-types="./kee_wasm_worker.d.ts" */

/**
 * A loaded, indexed policy set. Free it with `free()` when it is replaced.
 */
export class PolicySetHandle {
    static __wrap(ptr) {
        const obj = Object.create(PolicySetHandle.prototype);
        obj.__wbg_ptr = ptr;
        PolicySetHandleFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        PolicySetHandleFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_policysethandle_free(ptr, 0);
    }
    /**
     * Evaluates one request, a JSON `KeePolicyRequest`, against the stored entities; its own
     * `entities`, if any, replace (same uid) or extend them for this request (`value: KeeDecision`).
     * @param {string} requestJson
     * @returns {KeeResult<KeeDecision>}
     */
    evaluateStored(requestJson) {
        const ptr0 = passStringToWasm0(requestJson, wasm.__wbindgen_export3, wasm.__wbindgen_export5);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.policysethandle_evaluateStored(this.__wbg_ptr, ptr0, len0);
        return ret;
    }
    /**
     * Evaluates one request, a JSON `KeePolicyRequest` (`value: KeeDecision`).
     * @param {string} requestJson
     * @returns {KeeResult<KeeDecision>}
     */
    evaluate(requestJson) {
        const ptr0 = passStringToWasm0(requestJson, wasm.__wbindgen_export3, wasm.__wbindgen_export5);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.policysethandle_evaluate(this.__wbg_ptr, ptr0, len0);
        return ret;
    }
    /**
     * The hash, ids and tiers of the loaded set.
     * @returns {KeePolicySetInfo}
     */
    info() {
        const ret = wasm.policysethandle_info(this.__wbg_ptr);
        return ret;
    }
    /**
     * Replaces the entity store with Cedar's entity JSON array `entitiesJson`, checked against
     * the set's schema if it has one (`value`: how many entities the store holds). On failure
     * the store is left as it was.
     * @param {string} entitiesJson
     * @returns {KeeResult<number>}
     */
    setEntities(entitiesJson) {
        const ptr0 = passStringToWasm0(entitiesJson, wasm.__wbindgen_export3, wasm.__wbindgen_export5);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.policysethandle_setEntities(this.__wbg_ptr, ptr0, len0);
        return ret;
    }
}
if (Symbol.dispose) PolicySetHandle.prototype[Symbol.dispose] = PolicySetHandle.prototype.free;

/**
 * The inclusion proofs of every leaf, in `O(n log n)`: proof `i` is hashes
 * `offsets[i]..offsets[i + 1]` of `value` (`offsets` has `n + 1` entries, in 32-byte units).
 * @param {Uint8Array | number[]} hashes
 * @returns {KeeProofs}
 */
export function allInclusionProofs(hashes) {
    const ptr0 = passArray8ToWasm0(hashes, wasm.__wbindgen_export3);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.allInclusionProofs(ptr0, len0);
    return ret;
}

/**
 * The consistency proof from the tree of the first `oldSize` leaves to the tree of all
 * `hashes` (`value: Uint8Array`, `k * 32` bytes).
 * @param {Uint8Array | number[]} hashes
 * @param {number} oldSize
 * @returns {KeeResult<Uint8Array>}
 */
export function consistencyProof(hashes, oldSize) {
    const val2 = +oldSize;
    const ptr0 = passArray8ToWasm0(hashes, wasm.__wbindgen_export3);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.consistencyProof(ptr0, len0, val2);
    return ret;
}

/**
 * The inclusion proof of leaf `index` (`value: Uint8Array`, `k * 32` bytes, leaf side first).
 * @param {Uint8Array | number[]} hashes
 * @param {number} index
 * @returns {KeeResult<Uint8Array>}
 */
export function inclusionProof(hashes, index) {
    const val2 = +index;
    const ptr0 = passArray8ToWasm0(hashes, wasm.__wbindgen_export3);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.inclusionProof(ptr0, len0, val2);
    return ret;
}

/**
 * The inclusion proofs of the leaves at `indices`, building the tree once: proof `j` (for
 * `indices[j]`) is hashes `offsets[j]..offsets[j + 1]` of `value`.
 * @param {Uint8Array | number[]} hashes
 * @param {Uint32Array | number[]} indices
 * @returns {KeeProofs}
 */
export function inclusionProofs(hashes, indices) {
    let ptr0, len0, ptr1, len1;
    try {
        ptr0 = passArray8ToWasm0(hashes, wasm.__wbindgen_export3);
        len0 = WASM_VECTOR_LEN;
        ptr1 = passArray32ToWasm0(indices, wasm.__wbindgen_export3);
        len1 = WASM_VECTOR_LEN;
    } catch (e) {
        if (ptr1) { wasm.__wbindgen_export4(ptr1, len1 * 4, 4); }
        if (ptr0) { wasm.__wbindgen_export4(ptr0, len0 * 1, 1); }
        throw e;
    }
    const ret = wasm.inclusionProofs(ptr0, len0, ptr1, len1);
    return ret;
}

/**
 * The RFC 8785 canonical form of a JSON text (`value: string`).
 * @param {string} json
 * @returns {KeeResult<string>}
 */
export function jcs(json) {
    const ptr0 = passStringToWasm0(json, wasm.__wbindgen_export3, wasm.__wbindgen_export5);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.jcs(ptr0, len0);
    return ret;
}

/**
 * `SHA-256(JCS(json))` (`value: Uint8Array`, 32 bytes).
 * @param {string} json
 * @returns {KeeResult<Uint8Array>}
 */
export function jcsSha256(json) {
    const ptr0 = passStringToWasm0(json, wasm.__wbindgen_export3, wasm.__wbindgen_export5);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.jcsSha256(ptr0, len0);
    return ret;
}

/**
 * The leaf hashes `SHA-256(0x00 || leaf)` of the leaves `data[offsets[i]..offsets[i + 1]]`
 * (`value: Uint8Array`, `n * 32` bytes).
 * @param {Uint8Array | number[]} data
 * @param {Uint32Array | number[]} offsets
 * @returns {KeeResult<Uint8Array>}
 */
export function leafHashes(data, offsets) {
    let ptr0, len0, ptr1, len1;
    try {
        ptr0 = passArray8ToWasm0(data, wasm.__wbindgen_export3);
        len0 = WASM_VECTOR_LEN;
        ptr1 = passArray32ToWasm0(offsets, wasm.__wbindgen_export3);
        len1 = WASM_VECTOR_LEN;
    } catch (e) {
        if (ptr1) { wasm.__wbindgen_export4(ptr1, len1 * 4, 4); }
        if (ptr0) { wasm.__wbindgen_export4(ptr0, len0 * 1, 1); }
        throw e;
    }
    const ret = wasm.leafHashes(ptr0, len0, ptr1, len1);
    return ret;
}

/**
 * Loads a policy set from a JSON `KeePolicySource` (`value: PolicySetHandle`).
 * @param {string} sourceJson
 * @returns {KeeResult<PolicySetHandle>}
 */
export function loadPolicySet(sourceJson) {
    const ptr0 = passStringToWasm0(sourceJson, wasm.__wbindgen_export3, wasm.__wbindgen_export5);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.loadPolicySet(ptr0, len0);
    return ret;
}

/**
 * The RFC 9162 root of a list of leaf hashes (`n * 32` bytes); `SHA-256("")` when empty.
 * @param {Uint8Array | number[]} hashes
 * @returns {KeeResult<Uint8Array>}
 */
export function merkleRootFromLeafHashes(hashes) {
    const ptr0 = passArray8ToWasm0(hashes, wasm.__wbindgen_export3);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.merkleRootFromLeafHashes(ptr0, len0);
    return ret;
}

/**
 * The RFC 9162 root of the leaves `data[offsets[i]..offsets[i + 1]]`, hashing each leaf with
 * `SHA-256(0x00 || leaf)` (`value: Uint8Array`, 32 bytes).
 * @param {Uint8Array | number[]} data
 * @param {Uint32Array | number[]} offsets
 * @returns {KeeResult<Uint8Array>}
 */
export function merkleRootFromLeaves(data, offsets) {
    let ptr0, len0, ptr1, len1;
    try {
        ptr0 = passArray8ToWasm0(data, wasm.__wbindgen_export3);
        len0 = WASM_VECTOR_LEN;
        ptr1 = passArray32ToWasm0(offsets, wasm.__wbindgen_export3);
        len1 = WASM_VECTOR_LEN;
    } catch (e) {
        if (ptr1) { wasm.__wbindgen_export4(ptr1, len1 * 4, 4); }
        if (ptr0) { wasm.__wbindgen_export4(ptr0, len0 * 1, 1); }
        throw e;
    }
    const ret = wasm.merkleRootFromLeaves(ptr0, len0, ptr1, len1);
    return ret;
}

/**
 * The policies of Cedar policy text in Cedar's JSON form (EST), without loading them as a set:
 * `value` is the JSON text `{"policies": [EST, ...], "templates": <count>}`, policies in the
 * order cedar-wasm's `policySetTextToParts` gives them.
 * @param {string} text
 * @returns {KeeResult<string>}
 */
export function policySetParts(text) {
    const ptr0 = passStringToWasm0(text, wasm.__wbindgen_export3, wasm.__wbindgen_export5);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.policySetParts(ptr0, len0);
    return ret;
}

/**
 * `SHA-256(data)`, 32 bytes.
 * @param {Uint8Array | number[]} data
 * @returns {Uint8Array}
 */
export function sha256(data) {
    try {
        const retptr = wasm.__wbindgen_add_to_stack_pointer(-16) >>> 0;
        const ptr0 = passArray8ToWasm0(data, wasm.__wbindgen_export3);
        const len0 = WASM_VECTOR_LEN;
        wasm.sha256(retptr, ptr0, len0);
        var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
        var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
        var v2 = getArrayU8FromWasm0(r0, r1).slice();
        wasm.__wbindgen_export4(r0, r1 * 1, 1);
        return v2;
    } finally {
        wasm.__wbindgen_add_to_stack_pointer(16);
    }
}

/**
 * `SHA-256(UTF-8(text))` as 64 lowercase hex digits: an audit record's hash from its canonical
 * text in one call, without the caller encoding the text or hex-encoding the digest.
 * @param {string} text
 * @returns {string}
 */
export function sha256Hex(text) {
    let deferred2_0;
    let deferred2_1;
    try {
        const retptr = wasm.__wbindgen_add_to_stack_pointer(-16) >>> 0;
        const ptr0 = passStringToWasm0(text, wasm.__wbindgen_export3, wasm.__wbindgen_export5);
        const len0 = WASM_VECTOR_LEN;
        wasm.sha256Hex(retptr, ptr0, len0);
        var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
        var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
        deferred2_0 = r0;
        deferred2_1 = r1;
        return getStringFromWasm0(r0, r1);
    } finally {
        wasm.__wbindgen_add_to_stack_pointer(16);
        wasm.__wbindgen_export4(deferred2_0, deferred2_1, 1);
    }
}

/**
 * Verifies that the tree of `oldSize` leaves with root `oldRoot` is a prefix of the tree of
 * `newSize` leaves with root `newRoot` (`value: true`; `PROOF_INVALID` when it is not).
 * @param {number} oldSize
 * @param {number} newSize
 * @param {Uint8Array | number[]} proof
 * @param {Uint8Array | number[]} oldRoot
 * @param {Uint8Array | number[]} newRoot
 * @returns {KeeResult<true>}
 */
export function verifyConsistency(oldSize, newSize, proof, oldRoot, newRoot) {
    const val4 = +oldSize;
    const val5 = +newSize;
    let ptr0, len0, ptr1, len1, ptr2, len2;
    try {
        ptr0 = passArray8ToWasm0(proof, wasm.__wbindgen_export3);
        len0 = WASM_VECTOR_LEN;
        ptr1 = passArray8ToWasm0(oldRoot, wasm.__wbindgen_export3);
        len1 = WASM_VECTOR_LEN;
        ptr2 = passArray8ToWasm0(newRoot, wasm.__wbindgen_export3);
        len2 = WASM_VECTOR_LEN;
    } catch (e) {
        if (ptr2) { wasm.__wbindgen_export4(ptr2, len2 * 1, 1); }
        if (ptr1) { wasm.__wbindgen_export4(ptr1, len1 * 1, 1); }
        if (ptr0) { wasm.__wbindgen_export4(ptr0, len0 * 1, 1); }
        throw e;
    }
    const ret = wasm.verifyConsistency(val4, val5, ptr0, len0, ptr1, len1, ptr2, len2);
    return ret;
}

/**
 * Verifies that `leafHash` is leaf `index` of the tree of `size` leaves with root `root`
 * (`value: true`; `PROOF_INVALID` when it is not).
 * @param {Uint8Array | number[]} leafHash
 * @param {number} index
 * @param {number} size
 * @param {Uint8Array | number[]} proof
 * @param {Uint8Array | number[]} root
 * @returns {KeeResult<true>}
 */
export function verifyInclusion(leafHash, index, size, proof, root) {
    const val4 = +index;
    const val5 = +size;
    let ptr0, len0, ptr1, len1, ptr2, len2;
    try {
        ptr0 = passArray8ToWasm0(leafHash, wasm.__wbindgen_export3);
        len0 = WASM_VECTOR_LEN;
        ptr1 = passArray8ToWasm0(proof, wasm.__wbindgen_export3);
        len1 = WASM_VECTOR_LEN;
        ptr2 = passArray8ToWasm0(root, wasm.__wbindgen_export3);
        len2 = WASM_VECTOR_LEN;
    } catch (e) {
        if (ptr2) { wasm.__wbindgen_export4(ptr2, len2 * 1, 1); }
        if (ptr1) { wasm.__wbindgen_export4(ptr1, len1 * 1, 1); }
        if (ptr0) { wasm.__wbindgen_export4(ptr0, len0 * 1, 1); }
        throw e;
    }
    const ret = wasm.verifyInclusion(ptr0, len0, val4, val5, ptr1, len1, ptr2, len2);
    return ret;
}

/**
 * The version of this crate.
 * @returns {string}
 */
export function version() {
    let deferred1_0;
    let deferred1_1;
    try {
        const retptr = wasm.__wbindgen_add_to_stack_pointer(-16) >>> 0;
        wasm.version(retptr);
        var r0 = getDataViewMemory0().getInt32(retptr + 4 * 0, true);
        var r1 = getDataViewMemory0().getInt32(retptr + 4 * 1, true);
        deferred1_0 = r0;
        deferred1_1 = r1;
        return getStringFromWasm0(r0, r1);
    } finally {
        wasm.__wbindgen_add_to_stack_pointer(16);
        wasm.__wbindgen_export4(deferred1_0, deferred1_1, 1);
    }
}
function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg___wbindgen_throw_4c88d8bf264fd984: function(arg0, arg1) {
            throw new Error(getStringFromWasm0(arg0, arg1));
        },
        __wbg_new_37eb45aaf5eeb820: function() {
            const ret = new Array();
            return ret;
        },
        __wbg_new_cd4348290afae586: function() {
            const ret = new Object();
            return ret;
        },
        __wbg_new_from_slice_3512352010266e02: function(arg0, arg1) {
            const ret = new Uint32Array(getArrayU32FromWasm0(arg0, arg1));
            return ret;
        },
        __wbg_new_from_slice_b8daf545a41c6aa0: function(arg0, arg1) {
            const ret = new Uint8Array(getArrayU8FromWasm0(arg0, arg1));
            return ret;
        },
        __wbg_policysethandle_new: function(arg0) {
            const ret = PolicySetHandle.__wrap(arg0);
            return ret;
        },
        __wbg_push_c9f4893fc209f768: function(arg0, arg1) {
            const ret = arg0.push(arg1);
            return ret;
        },
        __wbg_set_2793479888329cb6: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = Reflect.set(arg0, arg1, arg2);
            return ret;
        }, arguments); },
        __wbindgen_generic_0000000000000001: function(arg0) {
            // Cast intrinsic for `F64 -> Externref`.
            const ret = arg0;
            return ret;
        },
        __wbindgen_generic_0000000000000002: function(arg0, arg1) {
            // Cast intrinsic for `Ref(String) -> Externref`.
            const ret = getStringFromWasm0(arg0, arg1);
            return ret;
        },
        __wbindgen_init_externref_table: function() {
            const table = wasm.__wbindgen_externrefs;
            table.set(0, undefined);
            table.set(1024, undefined);
            table.set(1025, null);
            table.set(1026, true);
            table.set(1027, false);
        },
    };
    return {
        __proto__: null,
        "./kee_wasm_worker_bg.js": import0,
    };
}

const PolicySetHandleFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_policysethandle_free(ptr, 1));

function addToExternrefTable0(obj) {
    const idx = wasm.__wbindgen_export2();
    wasm.__wbindgen_externrefs.set(idx, obj);
    return idx;
}

function getArrayU32FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getUint32ArrayMemory0().subarray(ptr / 4, ptr / 4 + len);
}

function getArrayU8FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getUint8ArrayMemory0().subarray(ptr / 1, ptr / 1 + len);
}

let cachedDataViewMemory0 = null;
function getDataViewMemory0() {
    if (cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || (cachedDataViewMemory0.buffer.detached === undefined && cachedDataViewMemory0.buffer !== wasm.memory.buffer)) {
        cachedDataViewMemory0 = new DataView(wasm.memory.buffer);
    }
    return cachedDataViewMemory0;
}

function getStringFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}

let cachedUint32ArrayMemory0 = null;
function getUint32ArrayMemory0() {
    if (cachedUint32ArrayMemory0 === null || cachedUint32ArrayMemory0.byteLength === 0) {
        cachedUint32ArrayMemory0 = new Uint32Array(wasm.memory.buffer);
    }
    return cachedUint32ArrayMemory0;
}

let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
    }
    return cachedUint8ArrayMemory0;
}

function handleError(f, args) {
    try {
        return f.apply(this, args);
    } catch (e) {
        const idx = addToExternrefTable0(e);
        wasm.__wbindgen_export(idx);
    }
}

function passArray32ToWasm0(arg, malloc) {
    const ptr = malloc(arg.length * 4, 4) >>> 0;
    getUint32ArrayMemory0().set(arg, ptr / 4);
    WASM_VECTOR_LEN = arg.length;
    return ptr;
}

function passArray8ToWasm0(arg, malloc) {
    const ptr = malloc(arg.length * 1, 1) >>> 0;
    getUint8ArrayMemory0().set(arg, ptr / 1);
    WASM_VECTOR_LEN = arg.length;
    return ptr;
}

function passStringToWasm0(arg, malloc, realloc) {
    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }

    let len = arg.length;
    let ptr = malloc(len, 1) >>> 0;

    const mem = getUint8ArrayMemory0();

    let offset = 0;

    for (; offset < len; offset++) {
        const code = arg.charCodeAt(offset);
        if (code > 0x7F) break;
        mem[ptr + offset] = code;
    }
    if (offset !== len) {
        if (offset !== 0) {
            arg = arg.slice(offset);
        }
        ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
        const view = getUint8ArrayMemory0().subarray(ptr + offset, ptr + len);
        const ret = cachedTextEncoder.encodeInto(arg, view);

        offset += ret.written;
        ptr = realloc(ptr, len, offset, 1) >>> 0;
    }

    WASM_VECTOR_LEN = offset;
    return ptr;
}

let cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
cachedTextDecoder.decode();
const MAX_SAFARI_DECODE_BYTES = 2146435072;
let numBytesDecoded = 0;
function decodeText(bytes) {
    numBytesDecoded += bytes.length;
    if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
        cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
        cachedTextDecoder.decode();
        numBytesDecoded = bytes.length;
    }
    return cachedTextDecoder.decode(bytes);
}

const cachedTextEncoder = new TextEncoder();

if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}

let WASM_VECTOR_LEN = 0;

let wasmModule, wasmInstance, wasm;
function __wbg_finalize_init(instance, module) {
    wasmInstance = instance;
    wasm = instance.exports;
    wasmModule = module;
    cachedDataViewMemory0 = null;
    cachedUint32ArrayMemory0 = null;
    cachedUint8ArrayMemory0 = null;
    wasm.__wbindgen_start();
    return wasm;
}

async function __wbg_load(module, imports) {
    if (typeof Response === 'function' && module instanceof Response) {
        if (!module.ok) {
            throw new Error(`failed to fetch Wasm: ${module.status} ${module.statusText} fetching '${module.url}'`);
        }

        if (typeof WebAssembly.instantiateStreaming === 'function') {
            try {
                return await WebAssembly.instantiateStreaming(module, imports);
            } catch (e) {
                const validResponse = expectedResponseType(module.type);

                if (validResponse && module.headers.get('Content-Type') !== 'application/wasm') {
                    console.warn("`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\n", e);

                } else { throw e; }
            }
        }

        const bytes = await module.arrayBuffer();
        return await WebAssembly.instantiate(bytes, imports);
    } else {
        const instance = await WebAssembly.instantiate(module, imports);

        if (instance instanceof WebAssembly.Instance) {
            return { instance, module };
        } else {
            return instance;
        }
    }

    function expectedResponseType(type) {
        switch (type) {
            case 'basic': case 'cors': case 'default': return true;
        }
        return false;
    }
}

function initSync(module) {
    if (wasm !== undefined) return wasm;


    if (module !== undefined) {
        if (Object.getPrototypeOf(module) === Object.prototype) {
            ({module} = module)
        } else {
            console.warn('using deprecated parameters for `initSync()`; pass a single object instead')
        }
    }

    const imports = __wbg_get_imports();
    if (!(module instanceof WebAssembly.Module)) {
        module = new WebAssembly.Module(module);
    }
    const instance = new WebAssembly.Instance(module, imports);
    return __wbg_finalize_init(instance, module);
}

let __wbg_init_promise;
async function __wbg_init(module_or_path) {
    if (wasm !== undefined) return wasm;
    if (__wbg_init_promise === undefined) {
        __wbg_init_promise = __wbg_init_once(module_or_path);
        __wbg_init_promise.catch(() => { __wbg_init_promise = undefined; });
    }
    return __wbg_init_promise;
}

async function __wbg_init_once(module_or_path) {

    if (module_or_path !== undefined) {
        if (Object.getPrototypeOf(module_or_path) === Object.prototype) {
            ({module_or_path} = module_or_path)
        } else {
            console.warn('using deprecated parameters for the initialization function; pass a single object instead')
        }
    }

    if (module_or_path === undefined) {
        module_or_path = new URL('kee_wasm_worker_bg.wasm', import.meta.url);
    }
    const imports = __wbg_get_imports();

    if (typeof module_or_path === 'string' || (typeof Request === 'function' && module_or_path instanceof Request) || (typeof URL === 'function' && module_or_path instanceof URL)) {
        module_or_path = fetch(module_or_path);
    }

    const { instance, module } = await __wbg_load(await module_or_path, imports);

    return __wbg_finalize_init(instance, module);
}

export { initSync, __wbg_init as default };
