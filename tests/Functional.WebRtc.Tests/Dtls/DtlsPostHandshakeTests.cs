using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.Tests.Dtls;

/// <summary>The rule for records received after the handshake, and alert parsing (pure, in the core).</summary>
public class DtlsPostHandshakeTests
{
    private static DtlsRecordHeader H(byte type, ushort epoch) => new(type, DtlsRecord.Dtls12, epoch, 7, 30);

    [Theory]
    [InlineData(DtlsContentType.ApplicationData, 1, DtlsPostHandshakeRecord.ApplicationData)]
    [InlineData(DtlsContentType.Alert, 1, DtlsPostHandshakeRecord.Alert)]
    [InlineData(DtlsContentType.Handshake, 0, DtlsPostHandshakeRecord.PeerRetransmission)]        // Certificate ... CertificateVerify
    [InlineData(DtlsContentType.ChangeCipherSpec, 0, DtlsPostHandshakeRecord.PeerRetransmission)] // its ChangeCipherSpec
    [InlineData(DtlsContentType.Handshake, 1, DtlsPostHandshakeRecord.PeerRetransmission)]        // its Finished
    [InlineData(DtlsContentType.Alert, 0, DtlsPostHandshakeRecord.Ignored)]                       // unprotected: could be forged
    [InlineData(DtlsContentType.ApplicationData, 0, DtlsPostHandshakeRecord.Ignored)]
    [InlineData(DtlsContentType.ApplicationData, 2, DtlsPostHandshakeRecord.Ignored)]             // we never renegotiate
    [InlineData(DtlsContentType.Handshake, 2, DtlsPostHandshakeRecord.Ignored)]
    [InlineData(DtlsContentType.ChangeCipherSpec, 1, DtlsPostHandshakeRecord.Ignored)]
    [InlineData(24, 1, DtlsPostHandshakeRecord.Ignored)]                                          // heartbeat: not negotiated
    public void Records_after_the_handshake_are_classified_by_type_and_epoch(byte type, ushort epoch, DtlsPostHandshakeRecord expected) =>
        Assert.Equal(expected, DtlsPostHandshake.Classify(H(type, epoch), 1));

    [Fact]
    public void Alerts_read_two_octets_with_a_known_level()
    {
        Assert.True(DtlsAlert.TryRead([1, 0], out var close));
        Assert.True(close.IsCloseNotify && close.EndsAssociation && !close.IsFatal);
        Assert.True(DtlsAlert.TryRead([2, 40], out var fatal));
        Assert.True(fatal.IsFatal && fatal.EndsAssociation);
        Assert.True(DtlsAlert.TryRead([1, 90], out var warning));
        Assert.False(warning.EndsAssociation);
        Assert.False(DtlsAlert.TryRead([1], out _));
        Assert.False(DtlsAlert.TryRead([1, 0, 0], out _));
        Assert.False(DtlsAlert.TryRead([3, 0], out _));
        Span<byte> written = stackalloc byte[2];
        DtlsAlert.Close.Write(written);
        Assert.Equal([1, 0], written.ToArray());
    }

    /// <summary>Every header gets exactly one class, and only the current epoch is ever opened.</summary>
    [Property(MaxTest = 500)]
    public bool Only_current_epoch_records_are_opened(byte type, ushort epoch, ushort current)
    {
        var c = DtlsPostHandshake.Classify(H(type, epoch), current);
        return c switch
        {
            DtlsPostHandshakeRecord.ApplicationData => type == DtlsContentType.ApplicationData && epoch == current,
            DtlsPostHandshakeRecord.Alert => type == DtlsContentType.Alert && epoch == current,
            DtlsPostHandshakeRecord.PeerRetransmission => type is DtlsContentType.Handshake or DtlsContentType.ChangeCipherSpec
                && (epoch == current || (current > 0 && epoch == current - 1)),
            _ => true,
        };
    }

    [Property(MaxTest = 300)]
    public bool Alert_parsing_never_throws(byte[] noise) =>
        !DtlsAlert.TryRead(noise, out var a) || (noise.Length == 2 && a.Level == noise[0] && a.Description == noise[1]);
}
