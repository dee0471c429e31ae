import DFUTarget
import SMP

extension RecoveryServer {
    /// Image upload (group 1, command 1; any op, as MCUboot).
    ///
    /// Request `{image?, len?, off, data, sha?, upgrade?}`; `upgrade` is accepted and ignored.
    /// An undecodable request, a duplicate key, a value of the wrong type, or a missing `off` or
    /// `data` is EINVAL. Success and offset mismatches answer `{"off": next}` (with MCUboot's
    /// `"rc": 0` first for SMP v1); refusals answer the error of ``UploadError``.
    @inline(never)
    mutating func imageUpload(_ x: inout Exchange) {
        let chunk: UploadChunk
        do throws(CBORError) {
            guard let decoded = try UploadChunk.decode(x.payload) else { return x.fail(.invalid) }
            chunk = decoded
        } catch {
            return x.fail(.invalid)
        }
        let outcome: UploadOutcome
        do throws(UploadError) {
            outcome = try upload.receive(chunk, policy: configuration.policy, slots: slots, features: Features.self)
        } catch {
            x.event = .uploadRefused(error)
            return x.fail(v1: error.mgmtError, v2: error.imageManagementError.rawValue)
        }
        x.event = .upload(outcome, session: upload)
        SMPBodies.writeUploadReply(outcome, legacyRC: !x.isV2, to: &x.writer)
    }

}
