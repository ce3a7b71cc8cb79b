using System.Collections;
using System.Data.Common;

namespace ShardKit.MySqlClient;

/// <summary>The parameters of a <see cref="MySqlCommand"/> or <see cref="MySqlBatchCommand"/>; names match case-insensitively, with or without a prefix.</summary>
public sealed class MySqlParameterCollection : DbParameterCollection, IReadOnlyList<MySqlParameter>
{
    private readonly List<MySqlParameter> _parameters = [];

    // Commands usually carry a handful of parameters: those are found by a linear scan, and the name index is
    // built only for larger collections (it cost a dictionary per command otherwise).
    private const int LinearSearchLimit = 8;
    private Dictionary<string, int>? _byName;

    internal MySqlParameterCollection()
    {
    }

    /// <inheritdoc />
    public override int Count => _parameters.Count;

    /// <inheritdoc />
    public override object SyncRoot => _parameters;

    /// <summary>Gets or sets the parameter at an index.</summary>
    public new MySqlParameter this[int index]
    {
        get => _parameters[index];
        set => SetParameter(index, value);
    }

    /// <summary>Gets or sets the parameter with a name.</summary>
    public new MySqlParameter this[string parameterName]
    {
        get => (MySqlParameter)GetParameter(parameterName);
        set => SetParameter(parameterName, value);
    }

    /// <summary>Adds a parameter and returns it.</summary>
    public MySqlParameter Add(MySqlParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        AddParameter(parameter);
        return parameter;
    }

    /// <summary>Adds a parameter with a name and value and returns it.</summary>
    public MySqlParameter AddWithValue(string parameterName, object? value) => Add(new MySqlParameter(parameterName, value));

    /// <inheritdoc />
    public override int Add(object value)
    {
        AddParameter(Cast(value));
        return _parameters.Count - 1;
    }

    /// <inheritdoc />
    public override void AddRange(Array values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var value in values)
        {
            Add(value!);
        }
    }

    /// <inheritdoc />
    public override void Clear()
    {
        _parameters.Clear();
        _byName = null;
    }

    /// <inheritdoc />
    public override bool Contains(object value) => value is MySqlParameter p && _parameters.Contains(p);

    /// <inheritdoc />
    public override bool Contains(string value) => IndexOf(value) >= 0;

    /// <inheritdoc />
    public override void CopyTo(Array array, int index) => ((ICollection)_parameters).CopyTo(array, index);

    /// <inheritdoc />
    public override IEnumerator GetEnumerator() => _parameters.GetEnumerator();

    IEnumerator<MySqlParameter> IEnumerable<MySqlParameter>.GetEnumerator() => _parameters.GetEnumerator();

    /// <inheritdoc />
    public override int IndexOf(object value) => value is MySqlParameter p ? _parameters.IndexOf(p) : -1;

    /// <inheritdoc />
    public override int IndexOf(string parameterName) => IndexOfNormalized(MySqlParameter.Normalize(parameterName ?? ""));

    /// <inheritdoc />
    public override void Insert(int index, object value)
    {
        _parameters.Insert(index, Cast(value));
        Reindex();
    }

    /// <inheritdoc />
    public override void Remove(object value)
    {
        if (value is MySqlParameter p && _parameters.Remove(p))
        {
            Reindex();
        }
    }

    /// <inheritdoc />
    public override void RemoveAt(int index)
    {
        _parameters.RemoveAt(index);
        Reindex();
    }

    /// <inheritdoc />
    public override void RemoveAt(string parameterName) => RemoveAt(IndexOfOrThrow(parameterName));

    /// <inheritdoc />
    protected override DbParameter GetParameter(int index) => _parameters[index];

    /// <inheritdoc />
    protected override DbParameter GetParameter(string parameterName) => _parameters[IndexOfOrThrow(parameterName)];

    /// <inheritdoc />
    protected override void SetParameter(int index, DbParameter value)
    {
        _parameters[index] = Cast(value);
        Reindex();
    }

    /// <inheritdoc />
    protected override void SetParameter(string parameterName, DbParameter value) => SetParameter(IndexOfOrThrow(parameterName), value);

    /// <summary>Finds a parameter by its normalized name (no prefix).</summary>
    internal MySqlParameter? Find(ReadOnlySpan<char> normalizedName) =>
        IndexOfNormalized(normalizedName) is var index and >= 0 ? _parameters[index] : null;

    /// <summary>The index of the first parameter with this normalized name (case-insensitive), or -1.</summary>
    private int IndexOfNormalized(ReadOnlySpan<char> normalizedName)
    {
        if (normalizedName.IsEmpty)
        {
            return -1;
        }

        if (_parameters.Count <= LinearSearchLimit)
        {
            for (var i = 0; i < _parameters.Count; i++)
            {
                if (normalizedName.Equals(_parameters[i].NormalizedName, StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }

            return -1;
        }

        if (_byName is null)
        {
            Reindex();
        }

        return _byName!.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(normalizedName, out var index) ? index : -1;
    }

    private void AddParameter(MySqlParameter parameter)
    {
        if (IndexOfNormalized(parameter.NormalizedName) >= 0)
        {
            throw new ArgumentException($"A parameter named '{parameter.ParameterName}' is already in the collection.", nameof(parameter));
        }

        _parameters.Add(parameter);
        if (_byName is not null && parameter.NormalizedName.Length > 0)
        {
            _byName[parameter.NormalizedName.ToString()] = _parameters.Count - 1;
        }
    }

    private int IndexOfOrThrow(string parameterName)
    {
        var index = IndexOf(parameterName);
        return index >= 0 ? index : throw new ArgumentException($"No parameter named '{parameterName}' is in the collection.", nameof(parameterName));
    }

    /// <summary>Rebuilds the name index after a change, or drops it while the collection is small enough to scan.</summary>
    private void Reindex()
    {
        if (_parameters.Count <= LinearSearchLimit)
        {
            _byName = null;
            return;
        }

        var byName = new Dictionary<string, int>(_parameters.Count, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < _parameters.Count; i++)
        {
            if (_parameters[i].NormalizedName.Length > 0)
            {
                byName.TryAdd(_parameters[i].NormalizedName.ToString(), i);
            }
        }

        _byName = byName;
    }

    private static MySqlParameter Cast(object value) => value as MySqlParameter
        ?? throw new ArgumentException($"Only MySqlParameter objects can be added, not {value?.GetType().Name ?? "null"}.", nameof(value));
}
