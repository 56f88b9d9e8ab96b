namespace Functional.WebRtc.Core.Srtp;

/// <summary>The outcome of protecting or unprotecting one packet. Only <see cref="Ok"/> leaves a usable packet.</summary>
public enum SrtpResult
{
    /// <summary>Done; the packet in the buffer is valid for newLength octets.</summary>
    Ok = 0,
    /// <summary>Too short to hold the RTP/RTCP header (and tag, when unprotecting).</summary>
    TooShort,
    /// <summary>Not an RTP/RTCP version 2 packet, or its CSRC list / header extension runs past its end.</summary>
    InvalidHeader,
    /// <summary>The buffer has no room for the tag (protect), or the length is outside the buffer.</summary>
    BufferTooSmall,
    /// <summary>The authentication tag did not verify (RFC 3711 3.3 step 5): drop the packet.</summary>
    AuthenticationFailed,
    /// <summary>Already received, or older than the replay window (RFC 3711 3.3.2): drop the packet.</summary>
    Replayed,
    /// <summary>The SRTP or SRTCP index space of this key is used up (RFC 3711 9.2): rekey.</summary>
    KeyExhausted,
}
