//! The kee-frost test set: RFC 9591 vectors, signing, nonce reuse, cheater detection, DKG,
//! refresh and repair.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, reason = "tests fail by panicking")]

use kee_frost::{aggregate, repair_sigma, trusted_dealer, verify, Dkg, ErrorKind, Participant, PublicPackage};

const VECTORS: &str = include_str!("../../../test/vectors/frost-ed25519-rfc9591.json");

#[test]
fn rfc9591_vectors_pass() {
    assert_eq!(kee_frost::vectors::check(VECTORS).unwrap(), 20);
}

#[test]
fn tampered_vectors_fail() {
    let bad = VECTORS.replace("60997f0142e43e80", "60997f0142e43e81");
    let err = kee_frost::vectors::check(&bad).unwrap_err();
    assert!(err.to_string().contains("signature share of participant 1"), "{err}");
}

/// Runs rounds 1 and 2 with `signers` (indexes into `ps`) and returns ids, commitments, shares.
fn sign_parts(ps: &mut [Participant], signers: &[usize], session: &[u8], msg: &[u8]) -> (Vec<u16>, Vec<u8>, Vec<u8>) {
    let ids: Vec<u16> = signers.iter().map(|i| ps[*i].identifier()).collect();
    let mut commitments = Vec::new();
    for i in signers {
        commitments.extend(ps[*i].round1(session).unwrap());
    }
    let mut shares = Vec::new();
    for i in signers {
        shares.extend(ps[*i].round2(session, msg, &ids, &commitments).unwrap());
    }
    (ids, commitments, shares)
}

fn sign(ps: &mut [Participant], signers: &[usize], session: &[u8], msg: &[u8]) -> Vec<u8> {
    let public = ps[signers[0]].public().clone();
    let (ids, c, s) = sign_parts(ps, signers, session, msg);
    aggregate(&public, msg, &ids, &c, &s).unwrap()
}

fn dkg(t: u16, n: u16) -> Vec<Participant> {
    let mut states = Vec::new();
    let mut round1 = Vec::new();
    for id in 1..=n {
        let (s, p) = Dkg::start(id, t, n).unwrap();
        states.push(s);
        round1.push((id, p));
    }
    run_dkg(states, &round1)
}

fn run_dkg(mut states: Vec<Dkg>, round1: &[(u16, Vec<u8>)]) -> Vec<Participant> {
    let mut inbox: Vec<Vec<(u16, Vec<u8>)>> = states.iter().map(|_| Vec::new()).collect();
    for s in states.iter_mut() {
        let me = s.identifier();
        let others: Vec<(u16, &[u8])> = round1.iter().filter(|(i, _)| *i != me).map(|(i, p)| (*i, p.as_slice())).collect();
        for (to, p) in s.part2(&others).unwrap() {
            let k = round1.iter().position(|(i, _)| *i == to).unwrap();
            inbox[k].push((me, p));
        }
    }
    states
        .into_iter()
        .zip(inbox)
        .map(|(s, inbox)| {
            let r2: Vec<(u16, &[u8])> = inbox.iter().map(|(i, p)| (*i, p.as_slice())).collect();
            s.finish(&r2).unwrap()
        })
        .collect()
}

#[test]
fn dealer_shares_sign_every_pair() {
    let mut ps = trusted_dealer(2, 3).unwrap();
    let key = ps[0].public().group_key().unwrap();
    for (k, pair) in [[0, 1], [0, 2], [1, 2]].iter().enumerate() {
        let sig = sign(&mut ps, pair, &[k as u8 + 1], b"block");
        verify(&key, b"block", &sig).unwrap();
        assert_eq!(verify(&key, b"other", &sig).unwrap_err().kind(), ErrorKind::SignerFailed);
    }
}

#[test]
fn config_is_2_of_3_or_upward() {
    for (t, n) in [(1, 3), (2, 2), (4, 3), (0, 0)] {
        assert_eq!(trusted_dealer(t, n).unwrap_err().kind(), ErrorKind::InvalidInput, "({t}, {n})");
        assert!(Dkg::start(1, t, n).is_err());
    }
    assert_eq!(trusted_dealer(3, 5).unwrap().len(), 5);
}

#[test]
fn second_round2_for_a_session_is_refused() {
    let mut ps = trusted_dealer(2, 3).unwrap();
    let (ids, c, _) = sign_parts(&mut ps, &[0, 1], b"s1", b"m");
    let err = ps[0].round2(b"s1", b"m", &ids, &c).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NonceReuse);
    // also with another message: the nonces are gone
    assert_eq!(ps[0].round2(b"s1", b"m2", &ids, &c).unwrap_err().kind(), ErrorKind::NonceReuse);
    // and round 1 again with the same session id
    assert_eq!(ps[0].round1(b"s1").unwrap_err().kind(), ErrorKind::NonceReuse);
    // a failed round 2 still burns the nonces
    let c0 = ps[0].round1(b"s2").unwrap();
    assert!(ps[0].round2(b"s2", b"m", &[1], &c0[..32]).is_err());
    assert_eq!(ps[0].round2(b"s2", b"m", &[1], &c0).unwrap_err().kind(), ErrorKind::NonceReuse);
    // fresh commitments each time
    assert_ne!(ps[1].round1(b"s3").unwrap(), ps[1].round1(b"s4").unwrap());
}

#[test]
fn round2_refuses_commitments_it_did_not_make() {
    let mut ps = trusted_dealer(2, 3).unwrap();
    let c0 = ps[0].round1(b"s").unwrap();
    let c1 = ps[1].round1(b"s").unwrap();
    let c_other = ps[1].round1(b"t").unwrap();
    let mut swapped = c_other.clone();
    swapped.extend(&c1);
    let err = ps[0].round2(b"s", b"m", &[1, 2], &swapped).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let _ = c0;
}

#[test]
fn round2_refuses_a_signer_list_without_itself() {
    let mut ps = trusted_dealer(2, 3).unwrap();
    let _ = ps[0].round1(b"s").unwrap();
    let mut c = ps[1].round1(b"s").unwrap();
    c.extend(ps[2].round1(b"s").unwrap());
    let err = ps[0].round2(b"s", b"m", &[2, 3], &c).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

#[test]
fn commitments_are_checked_however_often_they_are_parsed() {
    use kee_frost::wire::commitments_from_bytes;
    let mut ps = trusted_dealer(2, 3).unwrap();
    let good = ps[1].round1(b"s").unwrap();
    // Parsed once by the memo (participant 2 made them) and again: the same value.
    assert_eq!(commitments_from_bytes(&good).unwrap(), commitments_from_bytes(&good).unwrap());
    // The identity (y = 1) and a point of order 4 (y = 0) next to a good binding commitment are
    // refused, each time.
    let identity = { let mut b = [0u8; 32]; b[0] = 1; b };
    let order4 = [0u8; 32];
    for bad in [identity, order4] {
        let mut c = bad.to_vec();
        c.extend(&good[32..]);
        for _ in 0..2 {
            assert_eq!(commitments_from_bytes(&c).unwrap_err().kind(), ErrorKind::InvalidInput);
        }
    }
    assert_eq!(commitments_from_bytes(&good[..63]).unwrap_err().kind(), ErrorKind::InvalidInput);
}

#[test]
fn corrupt_share_names_the_culprit() {
    let mut ps = trusted_dealer(2, 3).unwrap();
    let public = ps[0].public().clone();
    let (ids, c, mut s) = sign_parts(&mut ps, &[0, 2], b"s", b"m");
    s[32] ^= 1; // participant 3's share
    let err = aggregate(&public, b"m", &ids, &c, &s).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidShare);
    assert_eq!(err.culprits(), &[3]);
    assert!(err.to_string().contains("participant 3"), "{err}");
    // both corrupt: both named
    let (ids, c, mut s) = sign_parts(&mut ps, &[0, 1], b"t", b"m");
    // (flipping the same bit in both could cancel out in the sum and give a valid signature)
    s[1] ^= 1;
    s[33] ^= 2;
    assert_eq!(aggregate(&public, b"m", &ids, &c, &s).unwrap_err().culprits(), &[1, 2]);
}

#[test]
fn fewer_than_t_shares_are_refused() {
    let mut ps = trusted_dealer(2, 3).unwrap();
    let public = ps[0].public().clone();
    let c = ps[0].round1(b"s").unwrap();
    let s = ps[0].round2(b"s", b"m", &[1], &c);
    assert!(s.is_err());
    assert_eq!(aggregate(&public, b"m", &[1], &c, &[0; 32]).unwrap_err().kind(), ErrorKind::InvalidInput);
}

#[test]
fn dkg_2_of_3_and_3_of_5() {
    for (t, n) in [(2u16, 3u16), (3, 5)] {
        let mut ps = dkg(t, n);
        let key = ps[0].public().group_key().unwrap();
        assert!(ps.iter().all(|p| p.public() == ps[0].public()));
        let signers: Vec<usize> = (0..usize::from(t)).rev().collect();
        let sig = sign(&mut ps, &signers, b"x", b"dkg");
        verify(&key, b"dkg", &sig).unwrap();
    }
}

#[test]
fn dkg_bad_proof_of_knowledge_names_the_sender() {
    let (mut a, _) = Dkg::start(1, 2, 3).unwrap();
    let (_, p2) = Dkg::start(2, 2, 3).unwrap();
    let (_, mut p3) = Dkg::start(3, 2, 3).unwrap();
    let last = p3.len() - 1;
    p3[last] ^= 1; // the proof of knowledge's z
    let err = a.part2(&[(2, &p2), (3, &p3)]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidShare, "{err}");
    assert_eq!(err.culprits(), &[3]);
}

#[test]
fn refresh_keeps_the_group_key_and_old_shares_stop_combining() {
    let mut ps = dkg(2, 3);
    let key = ps[0].public().group_key().unwrap();
    let old_public = ps[0].public().clone();
    let old: Vec<Vec<u8>> = ps.iter().map(|p| p.export_share().unwrap().to_vec()).collect();
    let mut states = Vec::new();
    let mut round1 = Vec::new();
    for p in ps.drain(..) {
        let id = p.identifier();
        let (s, r1) = Dkg::refresh(p, 2, 3).unwrap();
        states.push(s);
        round1.push((id, r1));
    }
    let mut fresh = run_dkg(states, &round1);
    assert_eq!(fresh[0].public().group_key().unwrap(), key);
    assert_ne!(fresh[0].public(), &old_public);
    let sig = sign(&mut fresh, &[0, 2], b"r", b"after");
    verify(&key, b"after", &sig).unwrap();

    // old participant 2 with new participant 1: the share does not verify against either package
    let mut old2 = Participant::import_share(&old[1]).unwrap();
    let c1 = fresh[0].round1(b"mix").unwrap();
    let c2 = old2.round1(b"mix").unwrap();
    let commitments = [c1, c2].concat();
    let s1 = fresh[0].round2(b"mix", b"m", &[1, 2], &commitments).unwrap();
    let s2 = old2.round2(b"mix", b"m", &[1, 2], &commitments).unwrap();
    let shares = [s1, s2].concat();
    let err = aggregate(fresh[0].public(), b"m", &[1, 2], &commitments, &shares).unwrap_err();
    assert_eq!(err.culprits(), &[2]);
}

#[test]
fn refresh_refuses_to_change_t() {
    let ps = trusted_dealer(3, 5).unwrap();
    let mut it = ps.into_iter();
    let err = Dkg::refresh(it.next().unwrap(), 2, 5).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("lowering the threshold is refused"), "{err}");
    assert!(Dkg::refresh(it.next().unwrap(), 4, 5).is_err());
}

#[test]
fn repair_restores_a_lost_share() {
    let mut ps = dkg(2, 3);
    let key = ps[0].public().group_key().unwrap();
    let lost_share = ps[2].export_share().unwrap().to_vec();
    let public = ps[2].public().clone();
    ps.truncate(2); // participant 3 lost its share
    let helpers = [1u16, 2];
    let d1 = ps[0].repair_deltas(&helpers, 3).unwrap();
    let d2 = ps[1].repair_deltas(&helpers, 3).unwrap();
    // helper j sums the deltas sent to j
    let mut sigmas = Vec::new();
    for j in helpers {
        let mut mine = Vec::new();
        for d in [&d1, &d2] {
            mine.extend(d.iter().find(|(to, _)| *to == j).unwrap().1.iter());
        }
        sigmas.extend(repair_sigma(&mine).unwrap().iter());
    }
    let restored = Participant::repaired(&sigmas, 3, public.clone()).unwrap();
    assert_eq!(restored.export_share().unwrap().to_vec(), lost_share);
    ps.push(restored);
    let sig = sign(&mut ps, &[0, 2], b"p", b"repaired");
    verify(&key, b"repaired", &sig).unwrap();
    // a wrong sigma is detected
    let mut bad = sigmas.clone();
    bad[0] ^= 1;
    assert!(Participant::repaired(&bad, 3, public).is_err());
}

#[test]
fn shares_round_trip_and_debug_is_redacted() {
    let ps = trusted_dealer(2, 3).unwrap();
    let bytes = ps[1].export_share().unwrap();
    assert_eq!(bytes.len(), 1 + 2 + 32 + 4 + 32 + 3 * 34);
    let back = Participant::import_share(&bytes).unwrap();
    assert_eq!(back.identifier(), 2);
    assert_eq!(back.public(), ps[1].public());
    let dbg = format!("{back:?}");
    assert!(dbg.contains("<redacted>") && !dbg.contains(&hex::encode(&bytes[3..35])), "{dbg}");
    let mut tampered = bytes.to_vec();
    tampered[5] ^= 1;
    assert!(Participant::import_share(&tampered).is_err());
    let public = PublicPackage::from_bytes(&ps[0].public().to_bytes().unwrap()).unwrap();
    assert_eq!(&public, ps[0].public());
    assert_eq!(public.identifiers(), vec![1, 2, 3]);
}
