namespace Geo.Gdal;

/// <summary>GDAL pixel data types (values of the C enum <c>GDALDataType</c>, GDAL 3.6).</summary>
public enum GdalDataType
{
    /// <summary>Unknown or unspecified.</summary>
    Unknown = 0,
    /// <summary>8-bit unsigned.</summary>
    Byte = 1,
    /// <summary>16-bit unsigned.</summary>
    UInt16 = 2,
    /// <summary>16-bit signed.</summary>
    Int16 = 3,
    /// <summary>32-bit unsigned.</summary>
    UInt32 = 4,
    /// <summary>32-bit signed.</summary>
    Int32 = 5,
    /// <summary>32-bit float.</summary>
    Float32 = 6,
    /// <summary>64-bit float.</summary>
    Float64 = 7,
    /// <summary>Complex Int16.</summary>
    CInt16 = 8,
    /// <summary>Complex Int32.</summary>
    CInt32 = 9,
    /// <summary>Complex Float32.</summary>
    CFloat32 = 10,
    /// <summary>Complex Float64.</summary>
    CFloat64 = 11,
    /// <summary>64-bit unsigned (GDAL 3.5+).</summary>
    UInt64 = 12,
    /// <summary>64-bit signed (GDAL 3.5+).</summary>
    Int64 = 13,
    /// <summary>8-bit signed (GDAL 3.7+; never reported by 3.6).</summary>
    Int8 = 14,
}

/// <summary>Sizes of <see cref="GdalDataType"/> values.</summary>
public static class GdalDataTypeExtensions
{
    /// <summary>Bytes per sample; 0 for <see cref="GdalDataType.Unknown"/>.</summary>
    public static int SizeInBytes(this GdalDataType type) => type switch
    {
        GdalDataType.Byte or GdalDataType.Int8 => 1,
        GdalDataType.UInt16 or GdalDataType.Int16 => 2,
        GdalDataType.UInt32 or GdalDataType.Int32 or GdalDataType.Float32 or GdalDataType.CInt16 => 4,
        GdalDataType.Float64 or GdalDataType.CInt32 or GdalDataType.CFloat32 or GdalDataType.UInt64 or GdalDataType.Int64 => 8,
        GdalDataType.CFloat64 => 16,
        _ => 0,
    };
}
