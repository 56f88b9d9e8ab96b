namespace Functional.WebRtc.Testing;

/// <summary>How a simulated path treats datagrams. Probabilities are 0..1.</summary>
public sealed record LinkProfile(double Loss = 0, double Duplicate = 0, double Reorder = 0,
    TimeSpan MinDelay = default, TimeSpan MaxDelay = default)
{
    public static readonly LinkProfile Perfect = new();
    public static LinkProfile Lossy(double loss, int minDelayMs = 1, int maxDelayMs = 20) =>
        new(loss, 0, 0, TimeSpan.FromMilliseconds(minDelayMs), TimeSpan.FromMilliseconds(maxDelayMs));
}

/// <summary>
/// A network in simulated time for driving pure machines against each other: datagrams sent at a time are
/// delivered later, or lost, duplicated or reordered, all decided by a seeded generator, so a failing run
/// replays exactly from its seed. Nothing here touches a socket or a clock.
/// </summary>
public sealed class SimNetwork<TAddress, TPayload> where TAddress : notnull
{
    public readonly record struct Delivery(TimeSpan At, TAddress From, TAddress To, TPayload Payload);

    private readonly Random _random;
    private readonly PriorityQueue<Delivery, (TimeSpan, long)> _inFlight = new();
    private readonly Dictionary<(TAddress, TAddress), LinkProfile> _links = new();
    private readonly HashSet<(TAddress, TAddress)> _down = new();
    private long _sequence;

    public SimNetwork(int seed, LinkProfile? defaultProfile = null)
    {
        _random = new Random(seed);
        Default = defaultProfile ?? LinkProfile.Perfect;
    }

    public LinkProfile Default { get; set; }
    public int Sent { get; private set; }
    public int Dropped { get; private set; }
    public int Delivered { get; private set; }

    /// <summary>Sets the profile of the one-way path from -> to.</summary>
    public void SetLink(TAddress from, TAddress to, LinkProfile profile) => _links[(from, to)] = profile;

    /// <summary>Cuts (or restores) the one-way path from -> to: everything sent on it is dropped.</summary>
    public void SetDown(TAddress from, TAddress to, bool down)
    {
        if (down) _down.Add((from, to)); else _down.Remove((from, to));
    }

    public void Send(TimeSpan now, TAddress from, TAddress to, TPayload payload)
    {
        Sent++;
        var profile = _links.GetValueOrDefault((from, to), Default);
        if (_down.Contains((from, to)) || _random.NextDouble() < profile.Loss) { Dropped++; return; }
        var copies = _random.NextDouble() < profile.Duplicate ? 2 : 1;
        for (var i = 0; i < copies; i++)
        {
            var delay = profile.MinDelay + TimeSpan.FromTicks((long)(_random.NextDouble() * (profile.MaxDelay - profile.MinDelay).Ticks));
            if (_random.NextDouble() < profile.Reorder) delay += profile.MaxDelay + TimeSpan.FromMilliseconds(1);
            var at = now + delay;
            _inFlight.Enqueue(new Delivery(at, from, to, payload), (at, _sequence++));
        }
    }

    /// <summary>The time of the next delivery, if any datagram is in flight.</summary>
    public TimeSpan? NextAt => _inFlight.TryPeek(out var d, out _) ? d.At : null;

    /// <summary>Takes the next delivery due at or before <paramref name="now"/>.</summary>
    public bool TryReceive(TimeSpan now, out Delivery delivery)
    {
        if (_inFlight.TryPeek(out delivery, out _) && delivery.At <= now)
        {
            _inFlight.Dequeue();
            Delivered++;
            return true;
        }
        delivery = default;
        return false;
    }

    public int InFlight => _inFlight.Count;
}
