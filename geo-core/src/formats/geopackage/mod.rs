//! GeoPackage files given for import: any feature table, or an attribute table (`read`).
//! onemap's own store is also a GeoPackage: that is `store::gpkg`.

pub(crate) mod read;
