using System.Net;
using Functional.WebRtc.Core.Stun;

namespace Functional.WebRtc.Tests.Ice;

/// <summary>
/// A small TURN/STUN server for simulated networks (RFC 8656 over UDP, long-term credentials with a nonce), enough to drive
/// the agent's TURN client: Binding, Allocate (401 then authenticated), Refresh, CreatePermission, ChannelBind, Send/Data
/// indications and ChannelData. <see cref="MappedFor"/> lets a test pretend a NAT sits in front of a client.
/// </summary>
public sealed class FakeTurnServer(IPEndPoint address, string user, string pass, string realm = "sim") : IceSim.INode
{
    private sealed class Allocation
    {
        public required IPEndPoint Client;
        public required IPEndPoint Relayed;
        public readonly HashSet<IPAddress> Permissions = new();
        public readonly Dictionary<ushort, IPEndPoint> Channels = new();
    }

    private readonly List<Allocation> _allocations = new();
    private readonly byte[] _key = StunIntegrity.LongTermKey(user, realm, pass);
    private int _nonce;
    private int _nextPort = 40000;

    public IPEndPoint Address { get; } = address;
    public Func<IPEndPoint, IPEndPoint> MappedFor { get; set; } = ep => ep;
    /// <summary>Answer the next authenticated request with 438 Stale Nonce once.</summary>
    public bool StaleNonceOnce { get; set; }
    public int Allocates { get; private set; }
    public int Refreshes { get; private set; }
    public int Permissions { get; private set; }
    public int ChannelBinds { get; private set; }
    public int StaleNonceSent { get; private set; }
    public int Relayed { get; private set; }
    public bool Drop { get; set; }
    public List<string> Trace { get; } = new();

    private string Nonce => "nonce" + _nonce;

    public IEnumerable<IPEndPoint> Addresses => _allocations.Select(a => a.Relayed).Prepend(Address);

    public IEnumerable<(IPEndPoint From, IPEndPoint To, byte[] Data)> Receive(TimeSpan at, IPEndPoint local, IPEndPoint remote, byte[] data)
    {
        if (Drop) yield break;
        if (!local.Equals(Address))
        {
            // From a peer to a relayed address.
            var alloc = _allocations.FirstOrDefault(a => a.Relayed.Equals(local));
            if (alloc is null || !alloc.Permissions.Contains(remote.Address)) { Trace.Add($"{at} drop peer {remote}->{local}"); yield break; }
            Trace.Add($"{at} peer {remote}->{local}");
            Relayed++;
            var ch = alloc.Channels.FirstOrDefault(c => c.Value.Equals(remote));
            if (ch.Value is not null) yield return (Address, alloc.Client, ChannelData.Encode(ch.Key, data));
            else
                yield return (Address, alloc.Client, StunMessage.Create(StunClass.Indication, StunMethod.Data, new TransactionId((ulong)at.Ticks, (uint)Relayed),
                    new StunAttribute.XorPeerAddress(remote), new StunAttribute.Data(data)).Encode(fingerprint: true));
            yield break;
        }
        var mine = _allocations.FirstOrDefault(a => a.Client.Equals(remote));
        if (ChannelData.IsChannelData(data))
        {
            if (mine is null || !ChannelData.TryParse(data, out var channel, out var len, out _) || !mine.Channels.TryGetValue(channel, out var peer)) yield break;
            Relayed++;
            yield return (mine.Relayed, peer, data.AsSpan(4, len).ToArray());
            yield break;
        }
        if (!StunMessage.TryParse(data, out var m, out _)) yield break;
        if (m.Class == StunClass.Indication && m.Method == StunMethod.Send)
        {
            var p = m.Get<StunAttribute.XorPeerAddress>()?.EndPoint;
            var d = m.Get<StunAttribute.Data>()?.Value;
            if (mine is null || p is null || d is null || !mine.Permissions.Contains(p.Address)) { Trace.Add($"{at} drop send {remote}->{p}"); yield break; }
            Trace.Add($"{at} send {remote}->{p}");
            Relayed++;
            yield return (mine.Relayed, p, d.Value.ToArray());
            yield break;
        }
        if (m.Class != StunClass.Request) yield break;
        var mapped = MappedFor(remote);
        if (m.Method == StunMethod.Binding)
        {
            yield return (Address, remote, StunMessage.Create(StunClass.SuccessResponse, StunMethod.Binding, m.TransactionId,
                new StunAttribute.XorMappedAddress(mapped)).Encode(fingerprint: true));
            yield break;
        }
        // Long-term credentials (RFC 8489 9.2).
        if (!m.Has<StunAttribute.MessageIntegrity>() || m.Get<StunAttribute.Username>()?.Value != user || !StunIntegrity.CheckMessageIntegrity(data, _key))
        {
            yield return (Address, remote, Error(m, 401, "Unauthorized"));
            yield break;
        }
        if (m.Get<StunAttribute.Nonce>()?.Value != Nonce || StaleNonceOnce)
        {
            if (StaleNonceOnce) { StaleNonceOnce = false; _nonce++; StaleNonceSent++; }
            yield return (Address, remote, Error(m, 438, "Stale Nonce"));
            yield break;
        }
        switch (m.Method)
        {
            case StunMethod.Allocate:
                if (mine is null)
                {
                    mine = new Allocation { Client = remote, Relayed = new IPEndPoint(Address.Address, _nextPort++) };
                    _allocations.Add(mine);
                }
                Allocates++;
                yield return (Address, remote, Ok(m, new StunAttribute.XorRelayedAddress(mine.Relayed), new StunAttribute.XorMappedAddress(mapped), new StunAttribute.Lifetime(600)));
                break;
            case StunMethod.Refresh:
                Refreshes++;
                if (m.Get<StunAttribute.Lifetime>()?.Seconds == 0 && mine is not null) _allocations.Remove(mine);
                yield return (Address, remote, Ok(m, new StunAttribute.Lifetime(m.Get<StunAttribute.Lifetime>()?.Seconds ?? 600)));
                break;
            case StunMethod.CreatePermission when mine is not null && m.Get<StunAttribute.XorPeerAddress>() is { } pp:
                Permissions++;
                mine.Permissions.Add(pp.EndPoint.Address);
                yield return (Address, remote, Ok(m));
                break;
            case StunMethod.ChannelBind when mine is not null && m.Get<StunAttribute.XorPeerAddress>() is { } cp && m.Get<StunAttribute.ChannelNumber>() is { } cn:
                ChannelBinds++;
                mine.Channels[cn.Number] = cp.EndPoint;
                mine.Permissions.Add(cp.EndPoint.Address);
                yield return (Address, remote, Ok(m));
                break;
            default:
                yield return (Address, remote, Error(m, 437, "Allocation Mismatch"));
                break;
        }
    }

    private byte[] Ok(StunMessage req, params StunAttribute[] attrs) =>
        new StunMessage(StunClass.SuccessResponse, req.Method, req.TransactionId, attrs.ToSeq()).Encode(_key, fingerprint: true);

    private byte[] Error(StunMessage req, int code, string reason) =>
        StunMessage.Create(StunClass.ErrorResponse, req.Method, req.TransactionId, new StunAttribute.ErrorCode(code, reason),
            new StunAttribute.Realm(realm), new StunAttribute.Nonce(Nonce)).Encode(fingerprint: true);
}
