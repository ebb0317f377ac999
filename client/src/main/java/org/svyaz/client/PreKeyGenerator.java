// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.client;

import java.nio.ByteBuffer;
import java.time.Clock;
import com.google.protobuf.ByteString;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;
import org.signal.libsignal.protocol.state.KyberPreKeyRecord;
import org.signal.libsignal.protocol.state.PreKeyRecord;
import org.signal.libsignal.protocol.state.SignedPreKeyRecord;
import org.svyaz.client.store.AccountDatabase;
import org.svyaz.client.store.SqliteSignalStore;
import org.svyaz.protocol.wire.KeyUpload;
import org.svyaz.protocol.wire.PreKey;
import org.svyaz.protocol.wire.SignedPreKey;

/** Makes prekeys, keeps the private halves in the local store and returns the public halves for upload. */
final class PreKeyGenerator {
    static final int BATCH = 50;
    /** Below this many one-time keys on the server, the client uploads a new batch. */
    static final int REFILL_BELOW = 20;
    /** libsignal key ids are 24-bit. */
    private static final int MAX_ID = 0xFFFFFF;
    private static final String NEXT_PRE_KEY_ID = "next_pre_key_id";
    private static final String NEXT_KYBER_ID = "next_kyber_pre_key_id";
    private static final String NEXT_SIGNED_ID = "next_signed_pre_key_id";

    private final AccountDatabase db;
    private final SqliteSignalStore store;
    private final Clock clock;

    PreKeyGenerator(AccountDatabase db, SqliteSignalStore store, Clock clock) {
        this.db = db;
        this.store = store;
        this.clock = clock;
    }

    /** Everything a new account uploads: a signed prekey, a Kyber last-resort key and a batch of one-time keys. */
    KeyUpload initialKeys() {
        KeyUpload.Builder upload = oneTimeKeys().toBuilder();
        IdentityKeyPair identity = store.getIdentityKeyPair();
        int signedId = nextId(NEXT_SIGNED_ID);
        ECKeyPair signedPair = ECKeyPair.generate();
        byte[] signature = identity.getPrivateKey().calculateSignature(signedPair.getPublicKey().serialize());
        store.storeSignedPreKey(signedId, new SignedPreKeyRecord(signedId, clock.millis(), signedPair, signature));
        upload.setSignedPreKey(SignedPreKey.newBuilder().setId(signedId)
                .setPublicKey(ByteString.copyFrom(signedPair.getPublicKey().serialize()))
                .setSignature(ByteString.copyFrom(signature)));
        int lastResortId = nextId(NEXT_KYBER_ID);
        KyberPreKeyRecord lastResort = kyberRecord(identity, lastResortId);
        store.storeKyberPreKey(lastResortId, lastResort, true);
        upload.setKyberLastResort(toWire(lastResort));
        return upload.build();
    }

    /** A batch of one-time EC and Kyber prekeys. */
    KeyUpload oneTimeKeys() {
        return db.inTransaction(() -> {
            KeyUpload.Builder upload = KeyUpload.newBuilder();
            IdentityKeyPair identity = store.getIdentityKeyPair();
            for (int i = 0; i < BATCH; i++) {
                int id = nextId(NEXT_PRE_KEY_ID);
                ECKeyPair pair = ECKeyPair.generate();
                store.storePreKey(id, new PreKeyRecord(id, pair));
                upload.addPreKeys(PreKey.newBuilder().setId(id)
                        .setPublicKey(ByteString.copyFrom(pair.getPublicKey().serialize())));
                int kyberId = nextId(NEXT_KYBER_ID);
                KyberPreKeyRecord kyber = kyberRecord(identity, kyberId);
                store.storeKyberPreKey(kyberId, kyber, false);
                upload.addKyberPreKeys(toWire(kyber));
            }
            return upload.build();
        });
    }

    private KyberPreKeyRecord kyberRecord(IdentityKeyPair identity, int id) {
        KEMKeyPair pair = KEMKeyPair.generate(KEMKeyType.KYBER_1024);
        byte[] signature = identity.getPrivateKey().calculateSignature(pair.getPublicKey().serialize());
        return new KyberPreKeyRecord(id, clock.millis(), pair, signature);
    }

    private static SignedPreKey toWire(KyberPreKeyRecord record) {
        try {
            return SignedPreKey.newBuilder().setId(record.getId())
                    .setPublicKey(ByteString.copyFrom(record.getKeyPair().getPublicKey().serialize()))
                    .setSignature(ByteString.copyFrom(record.getSignature()))
                    .build();
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("a Kyber key made a moment ago is invalid", e);
        }
    }

    private int nextId(String counter) {
        byte[] stored = db.setting(counter);
        int id = stored == null ? 1 : ByteBuffer.wrap(stored).getInt();
        int next = id >= MAX_ID ? 1 : id + 1;
        db.setSetting(counter, ByteBuffer.allocate(4).putInt(next).array());
        return id;
    }
}
