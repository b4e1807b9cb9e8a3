// bench/http ceiling row `go-bare`: the least a Go `net/http` server does for one
// `POST /v1/sessions/{id}/authorize` (read and JSON-parse the body, answer 200 with a JSON body of
// the size and headers of Kee's real answer, answer.json, whose path is the first argument). No
// policy, no store, no signature. Built by bench/http/run.ts into a temporary directory (standard
// library only, nothing downloaded).
package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
)

type answer struct {
	Decision        string   `json:"decision"`
	AleSeq          int      `json:"ale_seq"`
	PolicyIDs       []string `json:"policy_ids"`
	CedarPolicyHash string   `json:"cedar_policy_hash"`
	Reasons         []string `json:"reasons"`
	Credential      string   `json:"credential"`
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var template answer
	if err := json.Unmarshal(raw, &template); err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux.HandleFunc("POST /v1/sessions/{id}/authorize", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(400)
			return
		}
		var req map[string]any
		if err := json.Unmarshal(body, &req); err != nil {
			w.WriteHeader(400)
			return
		}
		a := template
		if req["principal"] == nil {
			a.Decision = "DENY"
		}
		text, _ := json.Marshal(a)
		w.Header().Set("content-type", "application/json")
		w.Header().Set("content-length", strconv.Itoa(len(text)))
		w.Write(text)
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), mux); err != nil {
		panic(err)
	}
}
