namespace Functional.WebRtc.Core.Dtls;

/// <summary>What a record received after the handshake asks of the endpoint (the handshake is over, epoch 1 current).</summary>
public enum DtlsPostHandshakeRecord : byte
{
    /// <summary>application_data of the current epoch: open it and deliver it.</summary>
    ApplicationData,
    /// <summary>An alert of the current epoch: open it (it is protected) and act on it.</summary>
    Alert,
    /// <summary>
    /// A handshake or ChangeCipherSpec record of the previous epoch, or a handshake record (the peer's Finished) of the
    /// current one: the peer is retransmitting its last flight, so it has not received ours (RFC 6347 section 4.2.4).
    /// </summary>
    PeerRetransmission,
    /// <summary>Anything else (an unprotected alert, another epoch, an unknown type): dropped (RFC 6347 section 4.1.2.7).</summary>
    Ignored,
}

/// <summary>An alert message (RFC 5246 section 7.2): level and description.</summary>
public readonly record struct DtlsAlert(byte Level, byte Description)
{
    public const byte Warning = 1;
    public const byte Fatal = 2;
    public const byte CloseNotify = 0;

    /// <summary>The close_notify we send and answer with (RFC 5246 section 7.2.1); sent at the warning level, as is usual.</summary>
    public static DtlsAlert Close => new(Warning, CloseNotify);

    public bool IsCloseNotify => Description == CloseNotify;
    public bool IsFatal => Level == Fatal;
    /// <summary>True when the association ends with this alert: close_notify, or any fatal alert.</summary>
    public bool EndsAssociation => IsCloseNotify || IsFatal;

    /// <summary>Reads an opened alert fragment: exactly two octets, a known level. False otherwise (the record is dropped).</summary>
    public static bool TryRead(ReadOnlySpan<byte> fragment, out DtlsAlert alert)
    {
        alert = default;
        if (fragment.Length != 2 || fragment[0] is not (Warning or Fatal)) return false;
        alert = new DtlsAlert(fragment[0], fragment[1]);
        return true;
    }

    public void Write(Span<byte> destination)
    {
        destination[0] = Level;
        destination[1] = Description;
    }
}

/// <summary>
/// How a record received once the handshake is complete is handled when no handshake machine runs any more: only
/// application data, protected alerts and the peer's retransmitted last flight can legitimately arrive (we never
/// renegotiate, so no later epoch exists).
/// </summary>
public static class DtlsPostHandshake
{
    public static DtlsPostHandshakeRecord Classify(in DtlsRecordHeader header, ushort currentEpoch) =>
        (header.ContentType, header.Epoch == currentEpoch, currentEpoch > 0 && header.Epoch == currentEpoch - 1) switch
        {
            (DtlsContentType.ApplicationData, true, _) => DtlsPostHandshakeRecord.ApplicationData,
            (DtlsContentType.Alert, true, _) => DtlsPostHandshakeRecord.Alert,
            // The peer's last flight: its Certificate ... CertificateVerify and ChangeCipherSpec in the old epoch,
            // its Finished in the new one (RFC 6347 section 4.2.4).
            (DtlsContentType.Handshake or DtlsContentType.ChangeCipherSpec, _, true) => DtlsPostHandshakeRecord.PeerRetransmission,
            (DtlsContentType.Handshake, true, _) => DtlsPostHandshakeRecord.PeerRetransmission,
            _ => DtlsPostHandshakeRecord.Ignored,
        };
}
