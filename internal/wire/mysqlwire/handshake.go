package mysqlwire

import (
	"encoding/binary"
	"errors"
)

// Capability flags (Protocol::CapabilityFlags).
const (
	CapLongPassword     uint32 = 1 << 0
	CapFoundRows        uint32 = 1 << 1
	CapLongFlag         uint32 = 1 << 2
	CapConnectWithDB    uint32 = 1 << 3
	CapNoSchema         uint32 = 1 << 4
	CapCompress         uint32 = 1 << 5
	CapODBC             uint32 = 1 << 6
	CapLocalFiles       uint32 = 1 << 7
	CapIgnoreSpace      uint32 = 1 << 8
	CapProtocol41       uint32 = 1 << 9
	CapInteractive      uint32 = 1 << 10
	CapSSL              uint32 = 1 << 11
	CapIgnoreSigpipe    uint32 = 1 << 12
	CapTransactions     uint32 = 1 << 13
	CapReserved         uint32 = 1 << 14
	CapSecureConnection uint32 = 1 << 15
	CapMultiStatements  uint32 = 1 << 16
	CapMultiResults     uint32 = 1 << 17
	CapPSMultiResults   uint32 = 1 << 18
	CapPluginAuth       uint32 = 1 << 19
	CapConnectAttrs     uint32 = 1 << 20
	CapPluginAuthLenenc uint32 = 1 << 21
	CapExpiredPasswords uint32 = 1 << 22
	CapSessionTrack     uint32 = 1 << 23
	CapDeprecateEOF     uint32 = 1 << 24
	CapOptionalMetadata uint32 = 1 << 25
	CapZstd             uint32 = 1 << 26
	CapQueryAttributes  uint32 = 1 << 27
)

// Authentication plugins.
const (
	PluginNative     = "mysql_native_password"
	PluginCachingSHA = "caching_sha2_password"
	// PluginClearPassword sends the password as it is: only over TLS.
	PluginClearPassword = "mysql_clear_password"
)

// Handshake is the server's initial handshake (Protocol::HandshakeV10).
type Handshake struct {
	Version      string
	ConnectionID uint32
	Nonce        []byte // 20 bytes
	Capabilities uint32
	Charset      byte
	Status       uint16
	Plugin       string
}

// AppendHandshake encodes h.
func AppendHandshake(b []byte, h Handshake) []byte {
	b = append(b, 10)
	b = append(b, h.Version...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint32(b, h.ConnectionID)
	b = append(b, h.Nonce[:8]...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(h.Capabilities))
	b = append(b, h.Charset)
	b = binary.LittleEndian.AppendUint16(b, h.Status)
	b = binary.LittleEndian.AppendUint16(b, uint16(h.Capabilities>>16))
	b = append(b, byte(len(h.Nonce)+1))
	b = append(b, make([]byte, 10)...)
	b = append(b, h.Nonce[8:]...)
	b = append(b, 0)
	b = append(b, h.Plugin...)
	return append(b, 0)
}

// HandshakeResponse is the client's answer (Protocol::HandshakeResponse41),
// or just its first fields when SSL is set and the packet is an SSLRequest.
type HandshakeResponse struct {
	Capabilities uint32
	MaxPacket    uint32
	Charset      byte
	// SSLRequest: the client asks to switch to TLS before the rest.
	SSLRequest bool
	User       string
	AuthData   []byte
	Database   string
	Plugin     string
	Attrs      map[string]string
}

// ErrOldProtocol reports a client that does not speak protocol 4.1.
var ErrOldProtocol = errors.New("client does not support protocol 4.1")

// ParseHandshakeResponse decodes a HandshakeResponse41 or SSLRequest.
func ParseHandshakeResponse(p []byte) (*HandshakeResponse, error) {
	r := NewReader(p)
	hr := &HandshakeResponse{}
	hr.Capabilities = r.Uint32()
	if r.Err() == nil && hr.Capabilities&CapProtocol41 == 0 {
		return nil, ErrOldProtocol
	}
	hr.MaxPacket = r.Uint32()
	hr.Charset = r.Byte()
	r.Bytes(23)
	if r.Err() != nil {
		return nil, r.Err()
	}
	if r.Len() == 0 && hr.Capabilities&CapSSL != 0 {
		hr.SSLRequest = true
		return hr, nil
	}
	hr.User = string(r.NulString())
	switch {
	case hr.Capabilities&CapPluginAuthLenenc != 0:
		hr.AuthData, _ = r.LenBytes()
	case hr.Capabilities&CapSecureConnection != 0:
		hr.AuthData = r.Bytes(int(r.Byte()))
	default:
		hr.AuthData = r.NulString()
	}
	if hr.Capabilities&CapConnectWithDB != 0 && r.Len() > 0 {
		hr.Database = string(r.NulString())
	}
	if hr.Capabilities&CapPluginAuth != 0 && r.Len() > 0 {
		hr.Plugin = string(r.NulString())
	}
	if hr.Capabilities&CapConnectAttrs != 0 && r.Len() > 0 {
		attrs, _ := r.LenBytes()
		if r.Err() == nil {
			ar := NewReader(attrs)
			hr.Attrs = map[string]string{}
			for ar.Len() > 0 && ar.Err() == nil && len(hr.Attrs) < 256 {
				k, _ := ar.LenBytes()
				v, _ := ar.LenBytes()
				if ar.Err() == nil {
					hr.Attrs[string(k)] = string(v)
				}
			}
			if ar.Err() != nil {
				return nil, ar.Err()
			}
		}
	}
	if r.Err() != nil {
		return nil, r.Err()
	}
	return hr, nil
}

// AppendAuthSwitch encodes an AuthSwitchRequest.
func AppendAuthSwitch(b []byte, plugin string, nonce []byte) []byte {
	b = append(b, HeaderEOF)
	b = append(b, plugin...)
	b = append(b, 0)
	b = append(b, nonce...)
	return append(b, 0)
}
