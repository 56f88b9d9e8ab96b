using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Dtls;

namespace Functional.WebRtc.Tests.Dtls;

public class DtlsSetupRulesTests
{
    [Fact]
    public void An_offer_is_actpass_and_a_reoffer_keeps_the_role()
    {
        Assert.Equal(DtlsSetup.ActPass, DtlsSetupRules.OfferSetup());
        Assert.Equal(DtlsSetup.Active, DtlsSetupRules.OfferSetup(DtlsRole.Client));
        Assert.Equal(DtlsSetup.Passive, DtlsSetupRules.OfferSetup(DtlsRole.Server));
    }

    [Fact]
    public void The_answerer_is_active_by_default_and_passive_when_configured()
    {
        Assert.Equal(DtlsSetup.Active, DtlsSetupRules.AnswerSetup(DtlsSetup.ActPass).Ok());
        Assert.Equal(DtlsSetup.Active, DtlsSetupRules.AnswerSetup(DtlsSetup.ActPass, DtlsRole.Client).Ok());
        Assert.Equal(DtlsSetup.Passive, DtlsSetupRules.AnswerSetup(DtlsSetup.ActPass, DtlsRole.Server).Ok());
        Assert.Equal(DtlsSetup.Passive, DtlsSetupRules.AnswerSetup(DtlsSetup.Active).Ok());
        Assert.Equal(DtlsSetup.Active, DtlsSetupRules.AnswerSetup(DtlsSetup.Passive).Ok());
        Assert.IsType<RtcError.InvalidAccess>(DtlsSetupRules.AnswerSetup(DtlsSetup.Active, DtlsRole.Client).Err());
        Assert.IsType<RtcError.InvalidAccess>(DtlsSetupRules.AnswerSetup(DtlsSetup.Passive, DtlsRole.Server).Err());
        Assert.IsType<RtcError.NotSupported>(DtlsSetupRules.AnswerSetup(DtlsSetup.HoldConn).Err());
    }

    [Theory]
    [InlineData(DtlsSetup.ActPass, DtlsSetup.Active, DtlsRole.Server)]   // we offered, remote answered active
    [InlineData(DtlsSetup.ActPass, DtlsSetup.Passive, DtlsRole.Client)]  // we offered, remote answered passive
    [InlineData(DtlsSetup.Active, DtlsSetup.ActPass, DtlsRole.Client)]   // we answered active
    [InlineData(DtlsSetup.Passive, DtlsSetup.ActPass, DtlsRole.Server)]  // we answered passive
    [InlineData(DtlsSetup.Active, DtlsSetup.Passive, DtlsRole.Client)]
    [InlineData(DtlsSetup.Passive, DtlsSetup.Active, DtlsRole.Server)]
    public void Roles_resolve_per_rfc5763(DtlsSetup local, DtlsSetup remote, DtlsRole expected) =>
        Assert.Equal(expected, DtlsSetupRules.Resolve(local, remote).Ok());

    [Theory]
    [InlineData(DtlsSetup.ActPass, DtlsSetup.ActPass)]
    [InlineData(DtlsSetup.Active, DtlsSetup.Active)]
    [InlineData(DtlsSetup.Passive, DtlsSetup.Passive)]
    [InlineData(DtlsSetup.HoldConn, DtlsSetup.Active)]
    [InlineData(DtlsSetup.Passive, DtlsSetup.HoldConn)]
    public void Incompatible_setups_are_errors(DtlsSetup local, DtlsSetup remote) =>
        Assert.True(DtlsSetupRules.Resolve(local, remote).IsLeft);

    [Fact]
    public void Offer_answer_round_gives_opposite_roles_for_every_answerer_preference()
    {
        foreach (var pref in new[] { DtlsRole.Auto, DtlsRole.Client, DtlsRole.Server })
        {
            var offer = DtlsSetupRules.OfferSetup();
            var answer = DtlsSetupRules.AnswerSetup(offer, pref).Ok();
            var offerer = DtlsSetupRules.Resolve(offer, answer).Ok();
            var answerer = DtlsSetupRules.Resolve(answer, offer).Ok();
            Assert.NotEqual(offerer, answerer);
            Assert.Equal(DtlsSetupRules.RoleOf(answer), answerer);
        }
    }

    [Theory]
    [InlineData("actpass", DtlsSetup.ActPass)]
    [InlineData("ACTIVE", DtlsSetup.Active)]
    [InlineData(" passive ", DtlsSetup.Passive)]
    [InlineData("holdconn", DtlsSetup.HoldConn)]
    public void Setup_values_parse_and_print(string text, DtlsSetup expected)
    {
        var s = DtlsSetupRules.Parse(text).Ok();
        Assert.Equal(expected, s);
        Assert.Equal(text.Trim().ToLowerInvariant(), s.ToSdp());
    }

    [Fact]
    public void Unknown_setup_values_are_syntax_errors()
    {
        Assert.IsType<RtcError.Syntax>(DtlsSetupRules.Parse("both").Err());
        Assert.IsType<RtcError.Syntax>(DtlsSetupRules.Parse(null).Err());
    }
}

public class PacketDemuxTests
{
    [Theory]
    [InlineData(0, PacketKind.Stun)]
    [InlineData(1, PacketKind.Stun)]
    [InlineData(3, PacketKind.Stun)]
    [InlineData(4, PacketKind.Unknown)]
    [InlineData(15, PacketKind.Unknown)]
    [InlineData(16, PacketKind.Zrtp)]
    [InlineData(19, PacketKind.Zrtp)]
    [InlineData(20, PacketKind.Dtls)]   // change_cipher_spec
    [InlineData(22, PacketKind.Dtls)]   // handshake
    [InlineData(23, PacketKind.Dtls)]   // application_data
    [InlineData(63, PacketKind.Dtls)]
    [InlineData(64, PacketKind.TurnChannel)]
    [InlineData(79, PacketKind.TurnChannel)]
    [InlineData(80, PacketKind.Unknown)]
    [InlineData(127, PacketKind.Unknown)]
    [InlineData(128, PacketKind.RtpOrRtcp)]
    [InlineData(191, PacketKind.RtpOrRtcp)]
    [InlineData(192, PacketKind.Unknown)]
    [InlineData(255, PacketKind.Unknown)]
    public void First_byte_ranges_follow_rfc7983(int b, PacketKind expected) => Assert.Equal(expected, PacketDemux.Classify((byte)b));

    [Fact]
    public void Every_byte_value_lands_in_exactly_the_documented_range()
    {
        var counts = Enumerable.Range(0, 256).GroupBy(b => PacketDemux.Classify((byte)b)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(4, counts[PacketKind.Stun]);
        Assert.Equal(4, counts[PacketKind.Zrtp]);
        Assert.Equal(44, counts[PacketKind.Dtls]);
        Assert.Equal(16, counts[PacketKind.TurnChannel]);
        Assert.Equal(64, counts[PacketKind.RtpOrRtcp]);
        Assert.Equal(256 - 4 - 4 - 44 - 16 - 64, counts[PacketKind.Unknown]);
    }

    [Fact]
    public void Rtcp_is_told_from_rtp_by_the_packet_type()
    {
        Assert.True(PacketDemux.IsRtcp([0x80, 200]));   // SR
        Assert.True(PacketDemux.IsRtcp([0x81, 201]));   // RR
        Assert.True(PacketDemux.IsRtcp([0x8F, 206]));   // PSFB
        Assert.True(PacketDemux.IsRtcp([0x80, 223]));
        Assert.False(PacketDemux.IsRtcp([0x80, 111]));  // Opus PT 111
        Assert.False(PacketDemux.IsRtcp([0x80, 96 | 0x80])); // VP8 PT 96 with marker = 224
        Assert.False(PacketDemux.IsRtcp([0x80, 191]));
        Assert.False(PacketDemux.IsRtcp([0x80]));
        Assert.Equal(PacketKind.Unknown, PacketDemux.Classify(ReadOnlySpan<byte>.Empty));
        Assert.Equal(PacketKind.Dtls, PacketDemux.Classify([22, 0xFE, 0xFD]));
    }
}

public class DtlsStateAndProfileTests
{
    [Fact]
    public void Transport_state_moves_follow_the_w3c_machine()
    {
        Assert.True(DtlsTransportStates.CanMove(DtlsTransportState.New, DtlsTransportState.Connecting));
        Assert.True(DtlsTransportStates.CanMove(DtlsTransportState.Connecting, DtlsTransportState.Connected));
        Assert.True(DtlsTransportStates.CanMove(DtlsTransportState.Connecting, DtlsTransportState.Failed));
        Assert.True(DtlsTransportStates.CanMove(DtlsTransportState.Connected, DtlsTransportState.Closed));
        Assert.True(DtlsTransportStates.CanMove(DtlsTransportState.Failed, DtlsTransportState.Closed));
        Assert.False(DtlsTransportStates.CanMove(DtlsTransportState.New, DtlsTransportState.Connected));
        Assert.False(DtlsTransportStates.CanMove(DtlsTransportState.Failed, DtlsTransportState.Connected));
        Assert.False(DtlsTransportStates.CanMove(DtlsTransportState.Closed, DtlsTransportState.Connecting));
        Assert.False(DtlsTransportStates.CanMove(DtlsTransportState.Closed, DtlsTransportState.Closed));
        Assert.Equal("connected", DtlsTransportState.Connected.ToW3C());
    }

    [Fact]
    public void Keying_material_lengths_per_profile()
    {
        Assert.Equal(60, DtlsSrtpProfile.Aes128CmHmacSha1_80.KeyingMaterialLength());
        Assert.Equal(56, DtlsSrtpProfile.AeadAes128Gcm.KeyingMaterialLength());
        Assert.Equal(88, DtlsSrtpProfile.AeadAes256Gcm.KeyingMaterialLength());
        Assert.Equal(0, DtlsSrtpProfile.None.KeyingMaterialLength());
        Assert.Equal(7, (int)DtlsSrtpProfile.AeadAes128Gcm);
        Assert.Equal(1, (int)DtlsSrtpProfile.Aes128CmHmacSha1_80);
    }

    [Fact]
    public void The_server_selects_its_first_preference_the_client_offered()
    {
        var ours = DtlsSrtpProfiles.Default;
        Assert.Equal(DtlsSrtpProfile.AeadAes128Gcm, DtlsSrtpProfiles.Select(ours, [1, 7]));
        Assert.Equal(DtlsSrtpProfile.Aes128CmHmacSha1_80, DtlsSrtpProfiles.Select(ours, [1, 2]));
        Assert.Equal(DtlsSrtpProfile.None, DtlsSrtpProfiles.Select(ours, [2, 8]));
    }

    [Fact]
    public void Keying_material_splits_into_crossed_keys_and_salts()
    {
        var material = Enumerable.Range(0, 60).Select(i => (byte)i).ToArray();
        var client = DtlsSrtpProfiles.SplitKeyingMaterial(DtlsSrtpProfile.Aes128CmHmacSha1_80, material, weAreClient: true).Ok();
        var server = DtlsSrtpProfiles.SplitKeyingMaterial(DtlsSrtpProfile.Aes128CmHmacSha1_80, material, weAreClient: false).Ok();
        Assert.Equal(material[..16], client.LocalMasterKey);
        Assert.Equal(material[16..32], client.RemoteMasterKey);
        Assert.Equal(material[32..46], client.LocalMasterSalt);
        Assert.Equal(material[46..60], client.RemoteMasterSalt);
        Assert.Equal(client.LocalMasterKey, server.RemoteMasterKey);
        Assert.Equal(client.RemoteMasterSalt, server.LocalMasterSalt);
        Assert.IsType<RtcError.Range>(DtlsSrtpProfiles.SplitKeyingMaterial(DtlsSrtpProfile.AeadAes128Gcm, material, true).Err());
        Assert.IsType<RtcError.NotSupported>(DtlsSrtpProfiles.SplitKeyingMaterial(DtlsSrtpProfile.None, [], true).Err());
    }
}
